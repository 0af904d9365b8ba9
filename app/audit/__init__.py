"""The tamper-evident audit log (hash chain): recording, verifying, reading and paging; the access register (查阅登记簿) as
a PDF; its SQL (store) and the ``audit`` verbs."""
