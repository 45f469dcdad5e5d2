package io.qrvoucher.ports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports free on this machine for a server about to start, each handed out once by this process: asked for one after
 * the other, two could otherwise be the same (the kernel may give a port again once the socket that found it is
 * closed), and a broker once found its controller's port taken by its own listener.
 */
public final class FreePorts {

    private static final int TRIES = 100;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port free now that this process has not handed out before. */
    public static int next() {
        for (int i = 0; i < TRIES; i++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("No free port this process had not handed out before in " + TRIES + " tries");
    }
}
