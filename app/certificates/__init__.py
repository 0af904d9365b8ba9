"""Certificates (毕业证书, 结业/肄业证书, 修业证明, 学历证明): serial numbers, issue, reprint, void, verify, the issuance register; their
rule checks and SQL."""
