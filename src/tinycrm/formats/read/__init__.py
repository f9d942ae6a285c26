"""Reading what `crm import` is given: bytes in (`decode`), tables of records (`tabular`,
`vcard`), and their headers mapped to tinycrm's fields (`mapping`, `aliases`)."""
