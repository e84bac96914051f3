package org.stemstream.node.coordinator;

import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** The cluster's members that are up and reachable from this node: those a coordinator that took over waits to hear. */
final class LiveMembers {
    private LiveMembers() {
    }

    /** Whether every up, reachable member's address is among {@code heard}. */
    static boolean allHeard(Cluster cluster, Set<String> heard) {
        ClusterEvent.CurrentClusterState state = cluster.state();
        Set<Member> unreachable = new HashSet<>();
        state.getUnreachable().forEach(unreachable::add);
        for (Member m : state.getMembers()) {
            if (m.status() == MemberStatus.up() && !unreachable.contains(m)
                    && !heard.contains(m.address().toString())) {
                return false;
            }
        }
        return true;
    }
}
