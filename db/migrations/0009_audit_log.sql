-- audit log: reserved; its work writes the tables.
SELECT 1;
