-- Where a REDEEMED voucher's money went, as its event says, for the reconciliation to compare with the journal's
-- redemption (check voucher_agrees_with_ledger). Null for other statuses, and for the expectations recorded before.
SET LOCAL lock_timeout = '5s';

ALTER TABLE reconciliation_expectations ADD COLUMN destination text;
