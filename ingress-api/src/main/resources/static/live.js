// Live status with one connection per page: every voucher the page shows is followed over one Server-Sent
// Events stream (GET /api/vouchers/events?ids=…), read with fetch since EventSource cannot send the bearer token.
// Over HTTP/1.1 a browser opens six connections to a host; a stream per voucher would take them all.
//
// Each event's id is the version of every voucher of the stream, in the order of its ids. When the stream ends
// (the server's max age, the token's expiry, a dropped connection) it is opened again with Last-Event-ID: the
// last event's id, or, when the page follows other vouchers now, the same made from the versions it knows. So
// nothing is missed and nothing is sent twice. A stream refused for the token waits for the customer to sign
// in again.

export const FINAL = new Set(['REJECTED', 'REDEEMED', 'REDEEM_FAILED', 'CANCELLED', 'EXPIRED']);

export class LiveStatus {
  #followed = new Map(); // voucher id -> { version, listeners }
  #connected = []; // the ids of the stream open now, in its order
  #controller = null;
  #running = false;
  #scheduled = false;
  #wake = null;
  #holdingOff = false; // pausing as the server asked (Retry-After): a voucher followed meanwhile does not cut it short

  /**
   * @param token        gives the bearer token to send
   * @param sessionEnded called on 401: resolves once the customer signed in again, rejects if they signed out
   * @param maxVouchers  how many vouchers one stream may follow (the server's ingress.live-status.max-vouchers)
   */
  constructor({ token, sessionEnded, maxVouchers = 20 }) {
    this.token = token;
    this.sessionEnded = sessionEnded;
    this.maxVouchers = maxVouchers;
  }

  /**
   * Calls onVoucher with each newer state of the voucher until it is final; returns a function that stops it. A
   * stream follows the first maxVouchers only: the voucher whose QR code is on screen is followed first, so that its
   * code never stays there after the voucher is used, however many vouchers a list shows.
   */
  follow(voucher, onVoucher, { first = false } = {}) {
    if (FINAL.has(voucher.status)) return () => {};
    let entry = this.#followed.get(voucher.id);
    if (!entry) {
      entry = { version: voucher.version ?? -1, listeners: new Set() };
      this.#followed.set(voucher.id, entry);
    } else {
      entry.version = Math.max(entry.version, voucher.version ?? -1);
    }
    entry.listeners.add(onVoucher);
    if (first) this.#followed = new Map([[voucher.id, entry], ...[...this.#followed].filter(([id]) => id !== voucher.id)]);
    this.#schedule();
    return () => {
      entry.listeners.delete(onVoucher);
      // The stream may go on following it until it is opened again; nothing more is needed, unless it was the last:
      // a stream following nothing the page shows would hold one of the customer's streams until its max age.
      if (entry.listeners.size === 0 && this.#followed.get(voucher.id) === entry) this.#followed.delete(voucher.id);
      if (this.#followed.size === 0) this.#controller?.abort();
    };
  }

  /** Stops following anything (signing out). */
  stopAll() {
    this.#followed.clear();
    this.#controller?.abort();
    this.#wake?.();
  }

  // Several follow() calls in a row (a list rendered) open one stream.
  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      if (!this.#running) {
        this.#run();
      } else if (!this.#holdingOff && this.#wanted().some((id) => !this.#connected.includes(id))) {
        this.#controller?.abort();
        this.#wake?.();
      }
    }, 0);
  }

  #wanted() {
    return [...this.#followed.keys()].slice(0, this.maxVouchers);
  }

  async #run() {
    this.#running = true;
    let failures = 0;
    try {
      while (this.#followed.size) {
        const ids = this.#wanted();
        const controller = new AbortController();
        this.#controller = controller;
        this.#connected = ids;
        const lastEventId = ids.map((id) => this.#followed.get(id)?.version ?? -1).join('.');
        const openedAt = Date.now();
        let received = false;
        let ended = false;
        let retryAfter = 0;
        try {
          const response = await fetch(`/api/vouchers/events?ids=${ids.map(encodeURIComponent).join(',')}`, {
            headers: { Authorization: `Bearer ${this.token()}`, Accept: 'text/event-stream', 'Last-Event-ID': lastEventId },
            cache: 'no-store',
            signal: controller.signal,
          });
          if (response.status === 401) {
            await this.sessionEnded();
            continue;
          }
          if (!response.ok) {
            // Too many streams open, say: not before the server says it may take one again.
            const seconds = Number(response.headers.get('Retry-After'));
            if (Number.isFinite(seconds) && seconds > 0) retryAfter = Math.min(seconds, 300) * 1000;
            throw new Error(`live status refused with ${response.status}`);
          }
          for await (const event of serverSentEvents(response.body)) {
            received = true;
            this.#deliver(ids, event);
          }
          ended = true;
        } catch (error) {
          if (controller.signal.aborted) continue; // to follow other vouchers, or stopped
          if (error?.code === 'SIGNED_OUT') return;
          console.warn('live status dropped; resuming', error);
        } finally {
          this.#connected = [];
          // Ended by a listener's failure too: its response is not left open beside the next one.
          controller.abort();
        }
        // The server ended the stream (its max age, every voucher final): resume what is left at once. It dropped,
        // or ended at once with nothing: resume after a pause that grows while that goes on.
        failures = ended && (received || Date.now() - openedAt > 1000) ? 0 : failures + 1;
        if (failures > 0 && this.#followed.size) {
          this.#holdingOff = retryAfter > 0;
          try {
            await this.#pause(Math.max(retryAfter, Math.min(30_000, 500 * 2 ** failures)));
          } finally {
            this.#holdingOff = false;
          }
        }
      }
    } catch (error) {
      if (error?.code !== 'SIGNED_OUT') console.warn('live status stopped', error);
    } finally {
      this.#running = false;
    }
  }

  #deliver(ids, { id, event, data }) {
    if (id) {
      id.split('.').forEach((version, position) => {
        const entry = this.#followed.get(ids[position]);
        const number = Number(version);
        if (entry && Number.isInteger(number)) entry.version = Math.max(entry.version, number);
      });
    }
    if (event !== 'voucher' || !data) return;
    const voucher = JSON.parse(data);
    const entry = this.#followed.get(voucher.id);
    if (!entry) return;
    entry.version = Math.max(entry.version, voucher.version);
    entry.listeners.forEach((listener) => listener(voucher));
    if (FINAL.has(voucher.status)) this.#followed.delete(voucher.id);
  }

  #pause(millis) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, millis);
      this.#wake = () => { clearTimeout(timer); resolve(); };
    });
  }
}

/** The events of a text/event-stream body, as the SSE format defines its fields: { id, event, data }. */
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + value).replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: null, event: 'message', data: [] };
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'data') event.data.push(text);
        else if (field === 'event') event.event = text;
        else if (field === 'id') event.id = text;
      }
      if (event.id !== null || event.data.length) yield { ...event, data: event.data.join('\n') };
    }
  }
}
