package io.qrvoucher.network;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a port of its own to a server, that a test can {@link #cut} as a network that drops every packet
 * would: connections stay open and new ones are accepted, but nothing passes either way until it is {@link #mend}ed.
 * What was sent meanwhile then arrives, as TCP would deliver it once the packets get through (what the relay had read
 * of a connection its sender closed meanwhile too). Closed, it passes nothing more.
 */
public final class TcpRelay implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadCount = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "tcp-relay-" + threadCount.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private final Object gate = new Object();
    private boolean cut;

    private TcpRelay(ServerSocket server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /** Relays connections to a free port of 127.0.0.1 ({@link #port()}) to {@code target}. */
    public static TcpRelay start(InetSocketAddress target) {
        try {
            TcpRelay relay = new TcpRelay(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")), target);
            relay.threads.execute(relay::accept);
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on nothing passes, either way, on any connection, old or new. */
    public void cut() {
        synchronized (gate) {
            cut = true;
        }
    }

    /** Lets everything pass again, what was held first. */
    public void mend() {
        synchronized (gate) {
            cut = false;
            gate.notifyAll();
        }
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
            run(() -> connect(client), client);
        }
    }

    /** Runs {@code task} on a thread of its own, or closes its connection if the relay is closing. */
    private void run(Runnable task, Socket... connection) {
        try {
            threads.execute(task);
        } catch (RejectedExecutionException closing) {
            for (Socket socket : connection) {
                closeQuietly(socket);
            }
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        sockets.add(upstream);
        try {
            upstream.connect(target);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        run(() -> pump(client, upstream), client, upstream);
        pump(upstream, client);
    }

    /** Copies {@code from} to {@code to} until either end closes, holding what it reads while the relay is cut. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int read;
            while ((read = in.read(buffer)) >= 0) {
                awaitMended();
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // The other end or the relay closed: so does this connection.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void awaitMended() throws InterruptedException {
        synchronized (gate) {
            while (cut) {
                gate.wait();
            }
        }
    }

    private void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        sockets.remove(socket);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        // Interrupted, a pump holding what it read while cut passes nothing on.
        threads.shutdownNow();
        sockets.forEach(this::closeQuietly);
    }
}
