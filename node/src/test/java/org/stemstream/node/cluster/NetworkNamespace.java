package org.stemstream.node.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace joined to this one by a veth pair, for a node that can be cut off the network: its processes
 * reach this namespace (and are reached) at {@link #innerAddress()}, this namespace's side is {@link #hostAddress()},
 * and {@link #cut()} takes the link down. Needs root and {@code ip netns}.
 */
final class NetworkNamespace implements AutoCloseable {
    private final String name;
    private final String hostLink;
    private final int subnet;

    private NetworkNamespace(int id) {
        this.name = "stemstream-cut-" + id;
        this.hostLink = "ssveth" + id;
        this.subnet = id % 250;
    }

    /** Whether namespaces can be made here: root, the ip tool, and the right to make a network namespace. */
    static boolean available() {
        try {
            return "root".equals(System.getProperty("user.name"))
                    && new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start().waitFor() == 0
                    && new ProcessBuilder("unshare", "--net", "true").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static NetworkNamespace create() throws IOException, InterruptedException {
        NetworkNamespace ns = new NetworkNamespace((int) (ProcessHandle.current().pid() % 10_000));
        String inner = ns.hostLink + "n";
        ns.run("ip", "netns", "add", ns.name);
        try {
            ns.run("ip", "link", "add", ns.hostLink, "type", "veth", "peer", "name", inner);
            ns.run("ip", "link", "set", inner, "netns", ns.name);
            // this side's address is on the loopback device, so that it stays up for the nodes here when the link
            // goes down; each side routes the other's address over the link
            ns.run("ip", "addr", "add", ns.hostAddress() + "/32", "dev", "lo");
            ns.run("ip", "link", "set", ns.hostLink, "up");
            ns.run("ip", "route", "add", ns.innerAddress() + "/32", "dev", ns.hostLink);
            ns.run("ip", "netns", "exec", ns.name, "ip", "addr", "add", ns.innerAddress() + "/32", "dev", inner);
            ns.run("ip", "netns", "exec", ns.name, "ip", "link", "set", inner, "up");
            ns.run("ip", "netns", "exec", ns.name, "ip", "link", "set", "lo", "up");
            ns.run("ip", "netns", "exec", ns.name, "ip", "route", "add", ns.hostAddress() + "/32", "dev", inner);
            return ns;
        } catch (IOException | InterruptedException e) {
            ns.close();
            throw e;
        }
    }

    String hostAddress() {
        return "10.213." + subnet + ".1";
    }

    String innerAddress() {
        return "10.213." + subnet + ".2";
    }

    /** A command run inside the namespace. */
    List<String> inside(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", name));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Takes the link down: nothing crosses it either way, and no connection is told. */
    void cut() throws IOException, InterruptedException {
        run("ip", "link", "set", hostLink, "down");
    }

    /** Removes the namespace and the link (its processes must have stopped). */
    @Override
    public void close() throws IOException, InterruptedException {
        for (List<String> undo : List.of(List.of("ip", "link", "del", hostLink),
                List.of("ip", "addr", "del", hostAddress() + "/32", "dev", "lo"), List.of("ip", "netns", "del", name))) {
            new ProcessBuilder(undo).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
