-- certificates, serials and the issuance register (printing issue): reserved; its issue writes the tables.
SELECT 1;
