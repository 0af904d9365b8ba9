"""Import and export of the national template, export purposes and written export approvals."""
