"""The header names real exports use for each canonical field, per noun.

Spellings are matched after `header_key` (case, spaces and punctuation ignored), so
`E-mail Address`, `email_address` and `EmailAddress` are one alias. A header may also carry
an entity prefix (`Deal - Title`, `Person - Email`, `Account.Name`): the noun's own
prefixes are dropped before the lookup, and another entity's name means a reference
(`Organization - Name` in a deals file is the deal's company).
Sources: HubSpot, Pipedrive, Google Contacts (current and legacy), Outlook, Salesforce API
names, Thunderbird, tinycrm's own export, and the headers Chinese CRMs and spreadsheets use.
"""

from __future__ import annotations

NOUN_FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": (
        "name", "first_name", "last_name", "email", "phone", "title", "company",
        "company_domain", "owner", "status", "source", "campaign", "notes", "tags", "birthday",
        "external_id", "created_at",
    ),
    "companies": (
        "name", "domain", "industry", "city", "country", "phone", "website", "owner", "notes",
        "external_id", "created_at",
    ),
    "deals": (
        "title", "amount", "currency", "stage", "status", "company", "contact", "owner",
        "expected_close", "created_at", "closed_at", "lost_reason", "external_id",
    ),
    "activities": (
        "kind", "subject", "body", "contact", "company", "deal", "owner", "due_at", "done_at",
        "external_id", "created_at",
    ),
}  # fmt: skip

_OWNER = "owner|record owner|owner name|assigned to|assigned user|负责人|所有者|销售|跟进人|归属人"
_ID = "id|record id|external id|uid|编号|外部编号|外部id"
_CAMPAIGN = (
    "campaign|campaign name|source campaign|lead campaign|original campaign|utm campaign|"
    "utm_campaign|marketing campaign|first campaign|市场活动|营销活动|来源活动|推广活动|活动名称"
)
_NOTES = "notes|note|comments|comment|description|备注|说明|描述"

ALIASES: dict[str, dict[str, str]] = {
    "contacts": {
        "name": "name|full name|display name|contact name|person name|fn|姓名|名字|联系人|"
        "联系人姓名|客户姓名",
        "first_name": "first name|firstname|given name|first|forename|名",
        "last_name": "last name|lastname|surname|family name|last|姓",
        "email": "email|e-mail|email address|e-mail address|mail|primary email|secondary email|"
        "work email|personal email|other email|email value|email work|email home|email other|"
        "邮箱|电子邮件|电子邮箱|邮件|邮箱地址|电子邮件地址",
        "phone": "phone|phone number|telephone|tel|mobile|mobile phone|mobile phone number|"
        "mobile number|cell|cell phone|work phone|business phone|home phone|primary phone|"
        "other phone|company main phone|phone value|phone work|phone mobile|phone home|phone other|"
        "mobilephone|homephone|otherphone|手机|"
        "手机号|手机号码|电话|电话号码|联系电话|移动电话|座机|固定电话|办公电话",
        "title": "title|job title|position|jobtitle|organization title|organization 1 title|"
        "职位|职务|头衔|岗位",
        "company": "company|company name|organization|organisation|organization name|account|"
        "associated company|employer|公司|单位|公司名称|单位名称|企业|企业名称|所属公司|工作单位",
        "company_domain": "company domain|company domain name|domain|公司域名",
        "owner": _OWNER + "|contact owner|lead owner|客户经理",
        "status": "status|lifecycle stage|lifecyclestage|contact status|状态|客户状态|生命周期阶段",
        "source": "source|lead source|leadsource|original source|contact source|来源|客户来源|"
        "线索来源|渠道",
        "campaign": _CAMPAIGN,
        "notes": _NOTES,
        "tags": "tags|tag|labels|label|categories|category|group membership|groups|标签|分组",
        "birthday": "birthday|birth date|birthdate|date of birth|dob|生日|出生日期",
        "external_id": _ID,
    },
    "companies": {
        "name": "name|company|company name|organization|organisation|organization name|"
        "account|account name|公司|公司名称|名称|企业|企业名称|客户名称|单位|单位名称",
        "domain": "domain|company domain|company domain name|domain name|域名",
        "industry": "industry|sector|行业|所属行业",
        "city": "city|billing city|billingcity|town|城市|所在城市|市",
        "country": "country|country region|billing country|billingcountry|国家|国家地区",
        "phone": "phone|phone number|telephone|main phone|电话|联系电话|公司电话",
        "website": "website|website url|web site|url|web|homepage|网站|官网|网址",
        "owner": _OWNER + "|company owner|account owner",
        "notes": _NOTES,
        "external_id": _ID,
    },
    "deals": {
        "title": "title|name|deal name|deal title|opportunity name|deal|商机名称|商机|名称|"
        "标题|机会名称|项目名称",
        "amount": "amount|value|deal value|deal amount|opportunity amount|金额|商机金额|"
        "预计金额|成交金额",
        "currency": "currency|currency code|currencyisocode|deal currency|币种|货币",
        "stage": "stage|deal stage|stage name|stagename|pipeline stage|阶段|销售阶段|商机阶段|"
        "业务阶段",
        "status": "status|deal status|state|状态|商机状态",
        "company": "company|associated company|organization|organisation|account|company name|"
        "公司|客户|客户名称",
        "contact": "contact|contact name|contact person|associated contact|primary contact|"
        "person|联系人",
        "owner": _OWNER + "|deal owner|opportunity owner",
        "expected_close": "expected close|expected close date|close date|closedate|"
        "expected closing date|预计成交日期|预计签单日期|预计结单日期|预计关闭日期",
        "created_at": "created at|created|create date|created date|createddate|deal created|"
        "add time|创建时间|创建日期",
        "closed_at": "closed at|closed|closed date|close time|won time|lost time|"
        "deal closed on|成交日期|成交时间|关闭时间|结单日期",
        "lost_reason": "lost reason|closed lost reason|loss reason|输单原因|丢单原因|失败原因",
        "campaign": _CAMPAIGN,
        "external_id": _ID,
    },
    "activities": {
        "kind": "kind|type|activity type|task type|类型|活动类型",
        "subject": "subject|title|name|主题|标题",
        "body": "body|content|details|description|note|notes|内容|描述|备注|详情",
        "contact": "contact|contact name|contact person|person|联系人",
        "company": "company|organization|organisation|account|公司|客户",
        "deal": "deal|deal title|opportunity|商机",
        "owner": _OWNER + "|activity owner|assigned to user",
        "due_at": "due at|due|activitydate|activity date|scheduled|截止时间|到期时间|计划时间",
        "done_at": "done at|done time|completed at|marked as done time|completion date|完成时间",
        "external_id": _ID,
    },
}

PREFIXES: dict[str, str] = {
    "contacts": "contact|person|lead|people",
    "companies": "company|organization|organisation|org|account",
    "deals": "deal|opportunity|opportunities",
    "activities": "activity|task|event",
}
"""Entity names that prefix a header (`Deal - Value`, `Account.Name`, `Contact owner`)."""

REFERENCES: dict[str, dict[str, str]] = {
    "contacts": {"companies": "company"},
    "deals": {"companies": "company", "contacts": "contact"},
    "activities": {"companies": "company", "contacts": "contact", "deals": "deal"},
    "companies": {},
}
"""Another entity's `name` (or `title`) column, prefixed, is a reference in this noun."""

ROLES: dict[str, dict[str, tuple[str, str]]] = {
    "contacts": {
        "birth year": ("birthday", "birth_year"),
        "birth month": ("birthday", "birth_month"),
        "birth day": ("birthday", "birth_day"),
    },
    "deals": {"iswon": ("status", "is_won"), "isclosed": ("status", "is_closed")},
    "activities": {
        "due date": ("due_at", "due_date"),
        "截止日期": ("due_at", "due_date"),
        "due time": ("due_at", "due_time"),
    },
}
"""Columns that together make one field (Thunderbird's birthday, Salesforce's won/closed,
Pipedrive's due date and time)."""

KEEP_CUSTOM: dict[str, str] = {
    "contacts": "lead status|accountid|ownerid|email display name",
    "companies": "ownerid|parentid",
    "deals": "accountid|ownerid|contactid|pipeline",
    "activities": "whoid|whatid|ownerid",
}
"""Known columns that stay custom fields although a prefix rule would map them: HubSpot's
`Lead Status` is not the lifecycle status, and Salesforce ids are not names."""

WEAK: dict[str, set[str]] = {"contacts": {"title"}, "deals": {"name"}, "activities": {"name"}}
"""Spellings that yield to a stronger one for the same field: Outlook's `Title` is Mr./Ms.
when a `Job Title` column is there too."""

IGNORED: dict[str, str] = {
    "contacts": "updated at|name key|phone norm|import batch id",
    "companies": "updated at|name key|import batch id",
    "deals": "updated at|import batch id|amount minor",
    "activities": "import batch id",
}
"""Columns of tinycrm's own export that the database computes again on import."""
