package io.qrvoucher.webhook;

import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;

import io.qrvoucher.webhook.core.EndpointUrls;

/**
 * A name server that answers only once told to, as a customer's may on purpose. A lookup waits for it through
 * interrupts, as the system's resolver does.
 */
public final class SlowNameServer implements EndpointUrls.Resolver {

    private final CountDownLatch answered = new CountDownLatch(1);
    private final InetAddress[] addresses;

    public SlowNameServer(InetAddress... addresses) {
        this.addresses = addresses.clone();
    }

    /** From now on every lookup, waiting or not, is answered. */
    public void answer() {
        answered.countDown();
    }

    @Override
    public InetAddress[] resolve(String host) {
        boolean interrupted = false;
        while (answered.getCount() > 0) {
            try {
                answered.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return addresses.clone();
    }
}
