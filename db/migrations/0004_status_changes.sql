-- status-change events, evidence and approvals (status-change issue): reserved; its issue writes the tables.
SELECT 1;
