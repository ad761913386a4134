"""CRM exports in and out: read and check them, fit and test scenarios, export a run."""
