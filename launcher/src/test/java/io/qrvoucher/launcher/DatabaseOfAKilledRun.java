package io.qrvoucher.launcher;

import java.nio.file.Path;

/** Starts a ledger database and waits to be killed: what a run killed with {@code kill -9} leaves behind. */
public final class DatabaseOfAKilledRun {

    static final String READY = "database ready";

    private DatabaseOfAKilledRun() {
    }

    public static void main(String[] args) throws InterruptedException {
        new LedgerDatabase(Path.of(args[0]), Integer.parseInt(args[1]), args[2]).start();
        System.out.println(READY);
        System.out.flush();
        Thread.currentThread().join();
    }
}
