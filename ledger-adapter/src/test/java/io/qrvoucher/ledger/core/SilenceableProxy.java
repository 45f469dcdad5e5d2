package io.qrvoucher.ledger.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy that can go silent: it keeps every connection open and passes nothing more on, either way, as a
 * database whose host is gone or a firewall that drops the flow does. New connections are taken and silenced too.
 */
final class SilenceableProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean silent;

    SilenceableProxy(String host, int port) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = new InetSocketAddress(host, port);
        daemon("proxy-accept", this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    void silence() {
        silent = true;
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            sockets.add(client);
            try {
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(upstream);
                daemon("proxy-up", () -> pass(client, upstream));
                daemon("proxy-down", () -> pass(upstream, client));
            } catch (IOException unreachable) {
                closeQuietly(client);
            }
            if (server.isClosed()) {
                // Taken while the proxy closed: closed here, as close() may have gone over the list before.
                sockets.forEach(SilenceableProxy::closeQuietly);
            }
        }
    }

    /** Passes bytes on until either side closes; while silent, reads them and drops them. */
    private void pass(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                if (!silent) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
        } catch (IOException closed) {
            // One side closed.
        }
    }

    private static void daemon(String name, Runnable work) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(SilenceableProxy::closeQuietly);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException alreadyBroken) {
            // Closed as far as this test goes.
        }
    }
}
