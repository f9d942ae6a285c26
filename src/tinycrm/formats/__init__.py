"""Reading what `crm import` is given: bytes in, records with canonical field names out.

Pure functions over streams: no database and no terminal UI, so services can use them.
"""
