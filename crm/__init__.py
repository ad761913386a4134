"""A company's CRM export: read and check it, fit a scenario to it, replay it, write it."""
