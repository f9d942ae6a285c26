"""What the demo team is made of: its people, companies, contacts, deals with the path each
took through the stages, and the notes and activities around them (the package's `__init__`
turns these into records through the services)."""

from __future__ import annotations

from tinycrm.models import Role

TEAM = "Sales"
"""The one team the demo's people are in."""

# key, name, email, role, quarterly quota in major units of the currency
USERS = (
    ("maria", "Maria Lopez", "maria.lopez@brightdesk.example", Role.manager, 60_000),
    ("daniel", "Daniel Okafor", "daniel.okafor@brightdesk.example", Role.rep, 90_000),
    ("fang", "王芳", "wang.fang@brightdesk.example", Role.rep, 80_000),
    ("priya", "Priya Raman", "priya.raman@brightdesk.example", Role.rep, 75_000),
)

# name, domain (without its ".example"; also the key contacts use), industry, city, country,
# owner
COMPANIES = (
    ("Harbourline Logistics", "harbourline", "Logistics", "Rotterdam", "Netherlands", "daniel"),
    ("Nordlicht Möbel GmbH", "nordlicht-moebel", "Furniture", "Hamburg", "Germany", "daniel"),
    ("Pampas Coffee Roasters", "pampascoffee", "Coffee", "Buenos Aires", "Argentina", "priya"),
    ("云帆科技 Yunfan Technology", "yunfan-tech", "Software", "Hangzhou", "China", "fang"),
    ("Kestrel Dental Group", "kestreldental", "Healthcare", "Manchester", "UK", "priya"),
    ("Lumière Events", "lumiere-events", "Events", "Lyon", "France", "daniel"),
    ("Blue Mesa Solar", "bluemesasolar", "Energy", "Albuquerque", "United States", "priya"),
    ("Tamarind Hotels", "tamarindhotels", "Hospitality", "Bengaluru", "India", "fang"),
    ("Fjord Analytics AB", "fjordanalytics", "Software", "Gothenburg", "Sweden", "daniel"),
    ("Sakura Print Works", "sakuraprint", "Printing", "Osaka", "Japan", "fang"),
    ("Eko Agritech", "ekoagritech", "Agriculture", "Lagos", "Nigeria", "priya"),
    ("Southern Cross Builders", "southerncross", "Construction", "Brisbane", "Australia", "fang"),
)  # fmt: skip

# name, title, company (or None), email (the part before @ at a company), phone, status,
# tags, source; a contact belongs to their company's owner
CONTACTS = (
    ("Pieter de Vries", "Operations Director", "harbourline", "pieter.devries",
     "+31 10 234 5678", "customer", "vip", "referral"),
    ("Sanne Bakker", "Fleet Manager", "harbourline", "sanne.bakker", "+31 6 1234 5678",
     "customer", "newsletter", "referral"),
    ("Ruben Smit", "Warehouse Manager", "harbourline", "ruben.smit", "+31 6 4821 7730",
     "customer", "", "referral"),
    ("Jonas Becker", "Head of Production", "nordlicht-moebel", "jonas.becker",
     "+49 40 1234 5678", "prospect", "", "trade fair"),
    ("Lena Schulz", "Procurement Lead", "nordlicht-moebel", "lena.schulz", "+49 151 2345 6789",
     "prospect", "newsletter", "trade fair"),
    ("Valentina Gómez", "Founder", "pampascoffee", "valentina", "+54 9 11 2345 6789",
     "customer", "vip", "website"),
    ("Mateo Fernández", "Store Manager", "pampascoffee", "mateo", "+54 11 4321 5678",
     "customer", "", "website"),
    ("李伟", "CTO", "yunfan-tech", "li.wei", "+86 138 0013 8000", "prospect", "vip",
     "partner referral"),
    ("陈静", "Product Manager", "yunfan-tech", "chen.jing", "+86 571 8765 4321", "prospect", "",
     "partner referral"),
    ("Zhang Min", "Operations Manager", "yunfan-tech", "zhang.min", "+86 139 5712 3456", "lead",
     "newsletter", "webinar"),
    ("Oliver Hughes", "Practice Manager", "kestreldental", "oliver.hughes", "+44 161 496 0123",
     "customer", "", "referral"),
    ("Amelia Clarke", "Clinical Director", "kestreldental", "amelia.clarke",
     "+44 161 496 0456", "customer", "vip", "referral"),
    ("Camille Laurent", "Event Director", "lumiere-events", "camille.laurent",
     "+33 4 72 12 34 56", "prospect", "newsletter", "LinkedIn"),
    ("Hugo Moreau", "CFO", "lumiere-events", "hugo.moreau", "+33 6 12 34 56 78", "prospect", "",
     "LinkedIn"),
    ("Jake Morales", "VP Operations", "bluemesasolar", "jake.morales", "+1 505 555 0142",
     "prospect", "", "cold call"),
    ("Emily Tsosie", "Project Manager", "bluemesasolar", "emily.tsosie", "+1 505 555 0187",
     "prospect", "newsletter", "cold call"),
    ("Ryan Carter", "Procurement Officer", "bluemesasolar", "ryan.carter", "+1 505 555 0163",
     "inactive", "", "cold call"),
    ("Ananya Iyer", "General Manager", "tamarindhotels", "ananya.iyer", "+91 98450 12345",
     "customer", "vip", "trade fair"),
    ("Rohan Mehta", "Revenue Manager", "tamarindhotels", "rohan.mehta", "+91 80 4123 4567",
     "customer", "", "trade fair"),
    ("Kavya Nair", "Front Office Manager", "tamarindhotels", "kavya.nair", "+91 98861 54321",
     "lead", "newsletter", "website"),
    ("Erik Johansson", "CEO", "fjordanalytics", "erik.johansson", "+46 70 123 45 67",
     "prospect", "partner", "partner referral"),
    ("Linnea Berg", "Head of Data", "fjordanalytics", "linnea.berg", "+46 31 123 45 67",
     "prospect", "", "partner referral"),
    ("Kenji Sato", "President", "sakuraprint", "kenji.sato", "+81 6 6123 4567", "lead", "",
     "trade fair"),
    ("Yuki Tanaka", "Office Manager", "sakuraprint", "yuki.tanaka", "+81 90 1234 5678", "lead",
     "newsletter", "trade fair"),
    ("Chinedu Eze", "COO", "ekoagritech", "chinedu.eze", "+234 803 123 4567", "prospect", "vip",
     "webinar"),
    ("Funmi Adeyemi", "Finance Manager", "ekoagritech", "funmi.adeyemi", "+234 809 876 5432",
     "prospect", "newsletter", "webinar"),
    ("Liam O'Brien", "Site Operations Manager", "southerncross", "liam.obrien",
     "+61 7 3123 4567", "lead", "", "website"),
    ("Chloe Nguyen", "Estimator", "southerncross", "chloe.nguyen", "+61 491 570 156",
     "inactive", "", "website"),
    ("Sofia Rossi", "Independent consultant", None, "sofia@rossi-consulting.example",
     "+39 347 123 4567", "customer", "partner vip", "referral"),
    ("Aisha Bello", "Freelance designer", None, "aisha.bello@mailbox.example", "+61 491 570 157",
     "lead", "newsletter", "website"),
)  # fmt: skip

OPEN = ("lead", "contacted", "qualified", "negotiation")
WON = (*OPEN, "won")

# title, contact (owner: theirs), amount in major units, stage path, expected close (days from
# today; None: around the day it closed), lost reason
DEALS = (
    ("Fleet tracking for 60 trucks", "Pieter de Vries", 48_000, WON, None, None),
    ("POS system for three cafés", "Valentina Gómez", 12_500, WON, None, None),
    ("Online booking rollout", "Amelia Clarke", 27_800, WON[1:], None, None),
    ("Guest Wi-Fi upgrade", "Ananya Iyer", 36_400, WON, None, None),
    ("Support renewal 2027", "Sanne Bakker", 9_600, WON[2:], None, None),
    ("Analytics consulting retainer", "Sofia Rossi", 4_750, WON, None, None),
    ("Shop-floor tablets", "Lena Schulz", 22_000, (*OPEN, "lost"), None, "price"),
    ("Field service app", "Ryan Carter", 18_900, (*OPEN[:3], "lost"), None, "competitor"),
    ("Site camera network", "Chloe Nguyen", 15_300, (*OPEN[:2], "lost"), None, "timing"),
    ("Ticketing integration", "Hugo Moreau", 7_200, (*OPEN, "lost"), None, "price"),
    ("Cloud migration", "李伟", 64_000, OPEN, 6, None),
    ("Data platform licences", "Erik Johansson", 31_500, OPEN, -4, None),
    ("Farm sensor pilot", "Chinedu Eze", 19_750, OPEN, 9, None),
    ("Solar monitoring dashboards", "Jake Morales", 42_000, (*OPEN, "qualified"), 30, None),
    ("Revenue management module", "Rohan Mehta", 23_400, OPEN[:3], 25, None),
    ("Event staff scheduling", "Camille Laurent", 14_800, OPEN[:3], -10, None),
    ("Second clinic setup", "Oliver Hughes", 11_200, OPEN[:3], 35, None),
    ("ERP connector", "Jonas Becker", 8_900, OPEN[:3], 40, None),
    ("Support desk seats", "陈静", 6_300, OPEN[:2], 45, None),
    ("Payroll setup", "Funmi Adeyemi", 5_400, OPEN[:2], -2, None),
    ("Online shop", "Mateo Fernández", 9_800, OPEN[:2], 28, None),
    ("Data team training workshop", "Linnea Berg", 3_200, OPEN[:2], 5, None),
    ("Order tracking portal", "Kenji Sato", 16_000, OPEN[:1], 60, None),
    ("Tablet rollout for site crews", "Liam O'Brien", 21_000, OPEN[:1], 50, None),
    ("Warehouse scanners", "Ruben Smit", 13_750, OPEN[:1], 55, None),
)  # fmt: skip

# A deal's age in working days (least, most) by how many stages it entered: up to ~6 months.
AGE = {1: (2, 15), 2: (7, 32), 3: (14, 64), 4: (25, 93), 5: (43, 130)}

# What the owner did just before moving a deal into each stage.
STEP_NOTES = {
    "contacted": (("call", "Intro call with {contact}"), ("email", "First email to {contact}")),
    "qualified": (("meeting", "Discovery meeting with {contact}"),
                  ("call", "Budget and timeline call with {contact}")),
    "negotiation": (("email", "Sent proposal for {title}"),
                    ("meeting", "Proposal walkthrough with {contact}")),
    "won": (("email", "Signed order received from {contact}"),
            ("call", "{contact} confirmed the order")),
}  # fmt: skip
LOST_WHY = {
    "price": "Went with a cheaper offer; our quote was about 20% higher.",
    "competitor": "Chose a competitor that already serves their parent company.",
    "timing": "Project postponed to next year after a budget freeze.",
}
BACK_NOTE = ("Back to qualified: scope under review",
              "New finance lead wants to revisit scope and phasing before signing.")  # fmt: skip

# More activities about a deal (by title) or a contact (by name): kind, subject, working days
# from today, and for a scheduled one the time it is due (UTC); None means logged that day.
ACTIVITIES = (
    ("Sofia Rossi", "call", "Quarterly check-in", -15, None),
    ("Valentina Gómez", "meeting", "Tasting visit, feedback on the POS", -30, None),
    ("Ananya Iyer", "call", "Check-in after the Wi-Fi go-live", -6, None),
    ("Aisha Bello", "note", "Downloaded the pricing guide", -4, None),
    ("Emily Tsosie", "email", "Sent the monitoring case study", -14, None),
    ("Yuki Tanaka", "note", "Met at the Osaka print expo", -22, None),
    ("Chloe Nguyen", "note", "Left the estimating team", -18, None),
    ("Zhang Min", "email", "Intro email after the webinar", -8, None),
    ("Pieter de Vries", "meeting", "Quarterly business review", -2, None),
    ("Data platform licences", "task", "Chase the signed order form", -3, "10:00"),
    ("Event staff scheduling", "call", "Call Camille about the revised scope", -1, "15:00"),
    ("Aisha Bello", "task", "Qualify the website lead", -5, "11:30"),
    ("Cloud migration", "task", "Send the final quote to 李伟", 0, "11:00"),
    ("Farm sensor pilot", "task", "Prepare the pilot contract", 0, "15:30"),
    ("Solar monitoring dashboards", "meeting", "Revised proposal meeting", 1, "10:00"),
    ("Data team training workshop", "task", "Confirm the workshop dates", 2, "14:00"),
    ("Revenue management module", "meeting", "Demo the revenue module", 3, "09:30"),
    ("Sofia Rossi", "call", "Talk about the renewal", 5, "11:00"),
    ("Order tracking portal", "call", "First call with Kenji Sato", 6, "10:00"),
    ("Second clinic setup", "meeting", "Site visit at the second clinic", 8, "13:00"),
    ("Online shop", "task", "Follow up on the shop scope", 9, "16:00"),
)
