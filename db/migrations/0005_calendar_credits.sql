-- working-day calendar and high-school graduation records (status-change issue): reserved; its issue writes the tables.
SELECT 1;
