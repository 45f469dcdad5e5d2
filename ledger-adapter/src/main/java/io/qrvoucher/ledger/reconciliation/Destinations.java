package io.qrvoucher.ledger.reconciliation;

/**
 * Where a redemption's money went, in the words the reconciliation compares: the same from a voucher's event and
 * from the journal.
 */
final class Destinations {

    private Destinations() {
    }

    /** An account of this bank, credited with the money. */
    static String account(String accountId) {
        return "account " + accountId;
    }

    /**
     * An account at another bank: the money goes to this bank's clearing account, the payee's details on the journal.
     * Each detail quoted, so that a comma in a holder's name cannot make two destinations read alike.
     */
    static String anotherBank(String bank, String holderName, String accountNumber) {
        return "another bank: " + quoted(bank) + ", " + quoted(holderName) + ", " + quoted(accountNumber);
    }

    private static String quoted(String detail) {
        return detail == null ? "none" : '"' + detail.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /**
     * What a redemption's journal transaction shows: the account its credit went to (and that account's kind), and
     * the payee's details at another bank if it names them.
     */
    static String ofJournal(String creditedAccount, String creditedKind, String bank, String holderName,
                            String accountNumber) {
        if (bank == null) {
            return account(creditedAccount);
        }
        return "CLEARING".equals(creditedKind) ? anotherBank(bank, holderName, accountNumber)
                : account(creditedAccount) + ", with another bank's details (" + bank + ")";
    }
}
