"""Membership tiers reached by what customers pay, and the points they earn and redeem.

A customer is whom an order is for: its company, else its contact (a person buying on their
own). Orders copy both from their deal, so a contact's payments on a company's deal count
for the company, and a contact's own tier and points come from orders with no company.

Each payment recorded moves its customer to the highest tier whose thresholds the
payments received in the tier's window meet (`tiers.refresh_tier`), and earns points at
the rate of the tier the customer is in after that move (`points.earn`).
"""
