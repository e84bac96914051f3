package org.stemstream.producer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.security.BlockSeal;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * What one of the detector's receiver servers runs for its sector of a scan: sends each block (the 16-byte header,
 * then the 165,888-byte payload) to the node that owns its frame in the cluster's routing table, one PUSH socket per
 * node, and ends with an end of scan to every node (saying how many blocks that node got). See
 * docs/wire-protocol.md.
 *
 * <p>It keeps a copy of every block it sent until a node says the frame's counted events are stored, and asks the
 * nodes for that every {@value #ACK_MILLIS} ms. When a node leaves the routing table for good (it died, or left),
 * every kept block that went to it is sent again to its frame's new owner, so a lost node loses no frame (a frame may
 * then be counted twice; the scan's writer keeps one). A full retention makes sending wait, as a slow node does. The
 * ends of scan go out once every kept frame is stored (or no node takes the scan's frames any more, or the
 * acknowledgement timeout passed), so that nothing sent again comes after them.
 *
 * <p>A node that leaves a question unanswered for a second is silent (it died, stopped or was cut off, and the
 * cluster has not routed around it yet): a block its queue does not take at once is kept but held back, unsent, so
 * that the other nodes' frames go on instead of waiting on it. Held-back blocks go out, in order, to the node once it
 * takes blocks again, or to their frames' new owners once the table moves, as the other sectors' producers send
 * theirs: a frame's four sectors still meet at one node. A node that is only slow still answers, and still makes its
 * producers wait.
 *
 * <p>It fetches the table every {@value #REFRESH_MILLIS} ms and follows a new one from its switch frame on. With a
 * send timeout, each block (and the first routing table, and the ends of scan) may wait that long in all, every try
 * and routing fetch included; past it the sender gives up with {@link NodesUnreachable}. One thread uses a sender.
 *
 * <p>With the deployment's producer key it opens a session with each node before it sends there, and seals every
 * message in it (its payload also encrypted when asked): see {@link BlockSeal}. Kept blocks stay in clear, and are
 * sealed again for the node they go to.
 */
public final class SectorSender implements AutoCloseable {
    private static final long REFRESH_MILLIS = 200;
    private static final long ACK_MILLIS = 100;
    /** How often nodes are asked while the sender waits for them (a full retention, or the end of the scan). */
    private static final long ACK_WAITING_MILLIS = 20;
    /** How often a waiting sender looks for answers. */
    private static final long WAIT_STEP_NANOS = 2_000_000;
    /** Without a send timeout: the tries a block gets before it counts as undeliverable. */
    private static final int RETRIES = 60;
    /** The longest one try waits before the sender looks at the routing table again. */
    private static final int TRY_MILLIS = 500;
    /** Without a send timeout: how long the first routing table may take. */
    private static final int FIRST_TABLE_MILLIS = 15_000;

    /** A node's PUSH socket for the sector, and the session messages to it are sealed in (null: security off). */
    private record Link(ZMQ.Socket socket, BlockSeal seal) {
    }

    /**
     * What a sender did: blocks sent (replays not included), what retention cost, the answers about stored frames it
     * refused because their seal did not match (security on), the blocks held back while their node was silent, and
     * the longest the caller waited for one block to be sent (or held back).
     */
    public record Stats(long sent, long undeliverable, long replayed, long retentionWaits, long retentionWaitNanos,
                        long unacknowledged, long peakRetainedBytes, long forgedAnswers, long heldBack,
                        long longestSendNanos) {
    }

    private final ZContext context;
    private final int sector;
    private final long scanNumber;
    private final long expectedBlocks;
    private final SenderSettings settings;
    private final Map<RoutingTable.Endpoint, Link> links = new HashMap<>();
    private final Map<RoutingTable.Endpoint, Long> blocksTo = new LinkedHashMap<>();
    private final Retention retention;
    private final AckClient acks;
    private RoutingClient routing;
    private RoutingTable table;
    private RoutingTable previous;
    private long lastRefreshNanos;
    private long lastAskNanos;
    /** The frame being sent: a previous table is in use while its successor starts above it. */
    private long position;
    private boolean replayDue;
    /** Kept blocks wait for a node that was silent or busy: another pass over them is due in a while. */
    private boolean passPending;
    /** The last pass left blocks for a node that answers but was busy: they go before any later block. */
    private boolean replayUnfinished;
    private long lastPassNanos;
    private boolean finished;
    private long undeliverable;
    private long sent;
    private long replayed;
    private long retentionWaits;
    private long retentionWaitNanos;
    private long unacknowledged;
    private long heldBack;
    private long longestSendNanos;

    /** @param expectedBlocks the sector's blocks in this scan (for messages) */
    public SectorSender(ZContext context, int sector, long scanNumber, long expectedBlocks, SenderSettings settings) {
        this.context = context;
        this.sector = sector;
        this.scanNumber = scanNumber;
        this.expectedBlocks = expectedBlocks;
        this.settings = settings;
        this.retention = settings.retains() ? new Retention(settings.retentionBytes()) : null;
        this.acks = settings.retains() ? new AckClient(context) : null;
    }

    /** Gets the first routing table (without one, blocks cannot go anywhere). */
    public void connect() throws NodesUnreachable, InterruptedException {
        if (settings.direct()) {
            table = RoutingTable.roundRobin(0, 0, 1, List.of(new RoutingTable.Endpoint("direct", settings.host(),
                    settings.port())));
            return;
        }
        routing = new RoutingClient(context, settings.host(), settings.port(), settings.producerKey() != null,
                settings.encrypt());
        table = fetchTable(Deadline.after(settings.sendTimeoutMillis() >= 0 ? settings.sendTimeoutMillis()
                : FIRST_TABLE_MILLIS), " (is a node running there?)");
        lastRefreshNanos = System.nanoTime();
    }

    /**
     * Sends a block to its frame's owner, following the table while the owner does not take it, and keeps it until
     * the frame is stored. False when, without a send timeout, no node took it in {@value #RETRIES} tries.
     */
    public boolean send(BlockHeader header, byte[] payload) throws NodesUnreachable, InterruptedException {
        return send(header, payload, false);
    }

    /**
     * As {@link #send(BlockHeader, byte[])}, for a payload the caller never changes again (read-only, possibly
     * shared): it is kept as it is, without a copy.
     */
    public boolean sendShared(BlockHeader header, byte[] payload) throws NodesUnreachable, InterruptedException {
        return send(header, payload, true);
    }

    private boolean send(BlockHeader header, byte[] payload, boolean shared)
            throws NodesUnreachable, InterruptedException {
        long start = System.nanoTime();
        try {
            return sendNow(header, payload, shared);
        } finally {
            longestSendNanos = Math.max(longestSendNanos, System.nanoTime() - start);
        }
    }

    private boolean sendNow(BlockHeader header, byte[] payload, boolean shared)
            throws NodesUnreachable, InterruptedException {
        moveTo(header.frameNumber());
        Deadline deadline = Deadline.after(settings.sendTimeoutMillis());
        maintain(deadline, ACK_MILLIS);
        // blocks going again come before any later block, so that every sector reaches their new owner in one order:
        // a busy owner makes the sender wait, as it would for a new block
        for (int pass = 1; replayUnfinished && pass < RETRIES && !deadline.passed(); pass++) {
            askAndCollect(ACK_WAITING_MILLIS);
            replay();
        }
        if (retention == null) {
            if (deliver(header.frameNumber(), header.toBytes(), payload, deadline, -1) == null) {
                return false;
            }
            sent++;
            return true;
        }
        if (retention.full()) {
            awaitRoom(deadline);
        }
        int slot = retention.keep(header, payload, shared);
        RoutingTable.Endpoint to = deliver(header.frameNumber(), retention.header(slot), retention.payload(slot),
                deadline, slot);
        if (to == null) {
            retention.release(slot);
            return false;
        }
        if (!retention.isHeldBack(slot)) {
            retention.sentTo(slot, to);
            sent++;
        }
        return true;
    }

    /**
     * Message parts sent as they are to a frame's owner, neither checked nor kept: what a faulty detector sends, for
     * tests of what the nodes reject.
     */
    public void sendAsIs(long frameNumber, byte[]... parts) {
        Link link = linkFor(ownerOf(frameNumber));
        if (link == null) {
            return;
        }
        ZMQ.Socket socket = link.socket();
        for (int i = 0; i < parts.length; i++) {
            socket.send(parts[i], i < parts.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    /**
     * Waits until the cluster has stored every kept frame (sending kept blocks again where their node is lost), then
     * sends an end of scan to every node of the table and to any node of the tables used that got blocks.
     */
    public void finish() throws NodesUnreachable, InterruptedException {
        moveTo(Long.MAX_VALUE);
        if (retention != null) {
            awaitStored();
        }
        sendEnds();
        finished = true;
    }

    /**
     * A detector fault, for tests: the blocks sent go out (closing waits for them as after {@link #finish}), and no
     * end of scan does; nothing waits for acknowledgements.
     */
    public void finishWithoutEnds() {
        finished = true;
    }

    public Stats stats() {
        return new Stats(sent, undeliverable, replayed, retentionWaits, retentionWaitNanos,
                retention == null ? 0 : Math.max(unacknowledged, retention.held()),
                retention == null ? 0 : retention.peakBytes(), acks == null ? 0 : acks.forged(), heldBack,
                longestSendNanos);
    }

    /**
     * Closes the sockets: a finished sender lets what is queued for the nodes of its tables go out first (at most the
     * send timeout). A node the tables dropped gets nothing more: it was sent no end of scan, its frames are stored
     * elsewhere, and waiting for a dead node's queue would hold the detector's context open for the whole linger.
     */
    @Override
    public void close() {
        int linger = !finished ? 0 : settings.sendTimeoutMillis() < 0 ? settings.lingerMillis()
                : Math.min(settings.lingerMillis(), settings.sendTimeoutMillis());
        links.forEach((node, link) -> {
            link.socket().setLinger(routedTo(node) ? linger : 0);
            link.socket().close();
        });
        if (routing != null) {
            routing.close();
        }
        if (acks != null) {
            acks.close();
        }
    }

    /** Whether the current or the previous routing table has the node (always, without tables: direct). */
    private boolean routedTo(RoutingTable.Endpoint node) {
        return table == null || table.endpoints().contains(node)
                || previous != null && previous.endpoints().contains(node);
    }

    // ---- routing ------------------------------------------------------------------------------------------------

    /**
     * Follows a new table, sends again what a lost node held (and what was held back for a silent one), and takes the
     * nodes' acknowledgements.
     */
    private void maintain(Deadline deadline, long askEveryMillis) throws NodesUnreachable, InterruptedException {
        refresh(false, deadline);
        if (retention == null) {
            return;
        }
        boolean fullBeforeSwitch = retention.full() && previous != null;
        if (replayDue || (passPending || retention.heldBack() > 0 || fullBeforeSwitch)
                && System.nanoTime() - lastPassNanos >= ACK_MILLIS * 1_000_000) {
            if (fullBeforeSwitch) {
                // the blocks of a silent node the newest table dropped may fill the retention before the detector
                // reaches its switch frame: they go to their new owners now, out of the common order
                Set<RoutingTable.Endpoint> inUse = new HashSet<>(table.endpoints());
                previous.endpoints().stream().filter(node -> !acks.silent(node)).forEach(inUse::add);
                replay(inUse);
            } else {
                replay();
            }
        }
        askAndCollect(askEveryMillis);
    }

    /** Asks the nodes in use which kept frames are stored (at most every so often), and frees those they name. */
    private void askAndCollect(long askEveryMillis) {
        if (System.nanoTime() - lastAskNanos >= askEveryMillis * 1_000_000 && retention.held() > 0) {
            lastAskNanos = System.nanoTime();
            long from = retention.lowestFrame();
            long to = Math.min(retention.highestFrame() + 1, from + StoredFrames.MAX_WINDOW);
            StoredFrames.Request request = new StoredFrames.Request(scanNumber, from, to);
            for (RoutingTable.Endpoint node : tablesInUse()) {
                if (settings.producerKey() == null) {
                    acks.ask(node, request, null);
                } else {
                    Link link = links.get(node); // its session seals the answer; no session, nothing sent there
                    if (link != null) {
                        acks.ask(node, request, link.seal());
                    }
                }
            }
        }
        acks.collect(scanNumber, retention::acknowledge);
    }

    /**
     * Takes a newer table if there is one; frames below its switch frame keep the table before it. With a send
     * timeout a table must come before the deadline; without one, the table in hand stays when no node answers.
     */
    private void refresh(boolean now, Deadline deadline) throws NodesUnreachable, InterruptedException {
        if (routing == null || !now && System.nanoTime() - lastRefreshNanos < REFRESH_MILLIS * 1_000_000) {
            return;
        }
        lastRefreshNanos = System.nanoTime();
        RoutingTable fetched = fetchTable(deadline, " (did the nodes stop?)");
        if (fetched != null && fetched.epoch() > table.epoch()) {
            previous = position >= fetched.effectiveFrom() ? null : table; // past its switch frame: out of use
            table = fetched;
            replayDue = retention != null;
        }
    }

    /**
     * The detector is at this frame. Once it passes the newest table's switch frame, the previous table is out of use:
     * blocks kept for a node only that table had (it left) go again to their frames' owners.
     */
    private void moveTo(long frameNumber) {
        position = frameNumber;
        if (previous != null && position >= table.effectiveFrom()) {
            previous = null;
            replayDue = retention != null;
        }
    }

    private RoutingTable.Endpoint ownerOf(long frameNumber) {
        RoutingTable t = previous != null && frameNumber < table.effectiveFrom() ? previous : table;
        return t.ownerOf(frameNumber);
    }

    /** The nodes frames may still go to: the table's, and the previous table's while it applies to what comes. */
    private Set<RoutingTable.Endpoint> tablesInUse() {
        Set<RoutingTable.Endpoint> nodes = new LinkedHashSet<>(table.endpoints());
        if (previous != null && table.effectiveFrom() > position) {
            nodes.addAll(previous.endpoints());
        }
        return nodes;
    }

    /**
     * Sends every kept block whose node is no longer in the tables in use to its frame's owner in the newest table
     * (all four sectors of a frame do the same, so the frame arrives whole), and every block held back for a silent
     * node that takes blocks again to it, oldest first. What a busy node did not take goes again before any later
     * block; what a silent one did not take, in a while.
     */
    private void replay() {
        replay(tablesInUse());
    }

    /** A pass over the kept blocks as {@link #replay()}, taking only these nodes as still in use. */
    private void replay(Set<RoutingTable.Endpoint> alive) {
        replayDue = false;
        passPending = false;
        replayUnfinished = false;
        lastPassNanos = System.nanoTime();
        // an owner that did not take one block (or answer a hello) in this pass is not asked again until the next:
        // each try may wait, and thousands of kept blocks may be its
        Set<RoutingTable.Endpoint> busy = new HashSet<>();
        retention.forEachHeld(slot -> {
            RoutingTable.Endpoint was = retention.sentTo(slot);
            boolean unsent = retention.isHeldBack(slot);
            if (was == null || !unsent && alive.contains(was)) {
                return;
            }
            RoutingTable.Endpoint owner = alive.contains(was) ? was : table.ownerOf(retention.frame(slot));
            if (unsent) {
                retention.holdBackFor(slot, owner); // where the other sectors go now, should its node come back
            }
            boolean silent = acks.silent(owner);
            Link link = busy.contains(owner) ? null : linkFor(owner);
            if (link != null) {
                link.socket().setSendTimeOut(silent ? 0 : TRY_MILLIS);
            }
            if (link != null && transmit(link, retention.header(slot), retention.payload(slot))) {
                retention.sentTo(slot, owner);
                blocksTo.merge(owner, 1L, Long::sum);
                if (unsent) {
                    sent++;
                } else {
                    replayed++;
                }
            } else {
                busy.add(owner);
                if (silent) {
                    passPending = true; // in a while: it may answer again, or the table move
                } else {
                    replayDue = true; // at once, before any later block
                    replayUnfinished = true;
                }
            }
        });
    }

    /**
     * Sends a block to its frame's owner, following the table while the owner does not take it; returns the node
     * that took it, or null when, without a send timeout, none did in {@value #RETRIES} tries. A kept block
     * ({@code slot} of the retention, or -1) whose owner is silent and does not take it at once is held back for it
     * instead, and its owner returned.
     */
    private RoutingTable.Endpoint deliver(long frameNumber, byte[] header, byte[] payload, Deadline deadline,
                                          int slot) throws NodesUnreachable, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            RoutingTable.Endpoint owner = ownerOf(frameNumber);
            boolean silent = slot >= 0 && acks.silent(owner);
            Link link = linkFor(owner);
            if (link != null) {
                // direct: there is no table to follow, so the one try may take all the time there is; a silent
                // node's queue is not waited on
                link.socket().setSendTimeOut(silent ? 0 : settings.direct() ? deadline.remainingMillis()
                        : deadline.slice(TRY_MILLIS));
            }
            if (link != null && transmit(link, header, payload)) {
                blocksTo.merge(owner, 1L, Long::sum);
                return owner;
            }
            if (silent) { // it takes nothing and answers nothing: the block waits here, and the others go on
                retention.holdBackFor(slot, owner);
                heldBack++;
                return owner;
            }
            if (deadline.passed()) {
                throw unreachable(owner.host() + ":" + owner.port() + " took no block of frame " + frameNumber,
                        deadline, "");
            }
            if (attempt == RETRIES && !deadline.bounded()) {
                undeliverable++;
                return null;
            }
            refresh(true, deadline); // the owner may be gone: follow the table
            if (retention != null) {
                if (replayDue) {
                    replay();
                }
                askAndCollect(ACK_WAITING_MILLIS); // is it silent, or only busy?
            }
        }
    }

    /**
     * The newest table the contacts give. With a bounded deadline they are asked again until one answers or it
     * passes: ZeroMQ queues blocks for a node that is gone, so the silence of its routing socket is what shows it.
     * Unbounded: one round of asking, null when none answers.
     */
    private RoutingTable fetchTable(Deadline deadline, String hint) throws NodesUnreachable, InterruptedException {
        while (true) {
            RoutingTable fetched = routing.fetch(deadline);
            if (fetched != null || !deadline.bounded()) {
                return fetched;
            }
            if (deadline.passed()) {
                throw unreachable("no routing table from " + String.join(", ", routing.contacts()), deadline, hint);
            }
            Thread.sleep(Math.min(200, deadline.remainingMillis()));
        }
    }

    // ---- retention ----------------------------------------------------------------------------------------------

    /** Retention is full: waits (asking the nodes often) until a frame is stored. The wait is counted. */
    private void awaitRoom(Deadline deadline) throws NodesUnreachable, InterruptedException {
        retentionWaits++;
        long start = System.nanoTime();
        try {
            while (retention.full()) {
                if (deadline.passed()) {
                    throw unreachable("no node said any of " + retention.held() + " kept blocks from frame "
                            + retention.lowestFrame() + " on is stored", deadline, "");
                }
                maintain(deadline, ACK_WAITING_MILLIS);
                LockSupport.parkNanos(WAIT_STEP_NANOS);
            }
        } finally {
            retentionWaitNanos += System.nanoTime() - start;
        }
    }

    /**
     * Waits until every kept frame is stored, at most the acknowledgement timeout, or until every node says it takes
     * no more of the scan's frames (the scan ended another way: nothing kept could be stored).
     */
    private void awaitStored() throws NodesUnreachable, InterruptedException {
        Deadline wait = Deadline.after(settings.ackTimeoutMillis());
        Deadline tables = Deadline.after(-1);
        if (settings.producerKey() != null) {
            table.endpoints().forEach(this::linkFor); // a session with every node, to hear whether it closed the scan
        }
        while (retention.held() > 0 && !wait.passed() && !acks.allClosed(table.endpoints())) {
            maintain(tables, ACK_WAITING_MILLIS);
            LockSupport.parkNanos(WAIT_STEP_NANOS);
        }
        unacknowledged = retention.held();
    }

    // ---- ends and sockets ---------------------------------------------------------------------------------------

    /** An end of scan to every node of the table, and to any node of the tables used that got blocks. */
    private void sendEnds() throws NodesUnreachable, InterruptedException {
        Deadline deadline = Deadline.after(settings.sendTimeoutMillis());
        refresh(true, deadline);
        Set<RoutingTable.Endpoint> to = new LinkedHashSet<>(table.endpoints());
        blocksTo.forEach((endpoint, blocks) -> {
            if (blocks > 0 && routedTo(endpoint)) {
                to.add(endpoint);
            }
        });
        for (RoutingTable.Endpoint endpoint : to) {
            long blocks = blocksTo.getOrDefault(endpoint, 0L);
            Link link = linkFor(endpoint);
            if (link != null) {
                // without a send timeout an end is offered for one try, as a node that died needs none
                link.socket().setSendTimeOut(deadline.bounded() ? deadline.remainingMillis() : 2_000);
            }
            if ((link == null || !transmitEnd(link, new EndOfScan(scanNumber, sector, blocks).toBytes()))
                    && deadline.bounded()) {
                throw unreachable(endpoint.host() + ":" + endpoint.port() + " took no end of scan", deadline, "");
            }
        }
    }

    /**
     * The node's link: its socket, and with the producer key a session opened with it first. Null while the node does
     * not answer the session's hello (it may be gone: the caller follows the table as after a send that failed).
     */
    private Link linkFor(RoutingTable.Endpoint endpoint) {
        Link link = links.get(endpoint);
        if (link != null) {
            return link;
        }
        BlockSeal seal = null;
        if (settings.producerKey() != null) {
            seal = SessionOpener.open(context, endpoint, sector, settings.producerKey(), TRY_MILLIS);
            if (seal == null) {
                return null;
            }
        }
        ZMQ.Socket socket = context.createSocket(SocketType.PUSH);
        socket.setSndHWM(settings.sendHighWaterMark());
        socket.setSendTimeOut(settings.direct() ? settings.sendTimeoutMillis() : TRY_MILLIS);
        socket.setLinger(settings.lingerMillis());
        socket.setImmediate(!settings.direct());
        Connections.connect(socket, endpoint.sector(sector));
        link = new Link(socket, seal);
        links.put(endpoint, link);
        return link;
    }

    /** A block on a link: its two parts, or sealed, three. False when the node's queue did not take it in time. */
    private boolean transmit(Link link, byte[] header, byte[] payload) {
        ZMQ.Socket socket = link.socket();
        if (link.seal() == null) {
            return socket.sendMore(header) && socket.send(payload, 0);
        }
        BlockSeal.Sealed sealed = link.seal().sealBlock(header, payload, settings.encrypt());
        return socket.sendMore(header) && socket.sendMore(sealed.payload()) && socket.send(sealed.seal(), 0);
    }

    private boolean transmitEnd(Link link, byte[] end) {
        ZMQ.Socket socket = link.socket();
        return link.seal() == null ? socket.send(end, 0)
                : socket.sendMore(end) && socket.send(link.seal().sealEnd(end), 0);
    }

    /** Giving up: what could not be reached, within what time, and how far this sector got. */
    private NodesUnreachable unreachable(String what, Deadline deadline, String hint) {
        return new NodesUnreachable(String.format(Locale.ROOT, "sector %d: %s within %d ms%s; sent %d of %d blocks,"
                + " %d unsent", sector, what, deadline.millis(), hint, sent, expectedBlocks, expectedBlocks - sent));
    }
}
