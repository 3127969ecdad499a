import { indexShards, PeerRequest, PeerState, Reply } from "./opensearchPeerIndices";

/**
 * Cluster health as OpenSearch computes it from shard allocation: a replica is never allocated to the node
 * that holds its primary, so an index with more replicas than `data nodes - 1` keeps unassigned replicas and
 * the cluster is `yellow` ("At least one replica shard is not allocated to a node",
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/handling-errors.html#handling-errors-yellow-cluster-status);
 * `red` needs an unassigned primary, which the peer only has when a test says so (`forceRed`).
 * Shape of `GET _cluster/health`: https://docs.opensearch.org/latest/api-reference/cluster-api/cluster-health/.
 */
export function clusterHealth(state: PeerState & { forceRed?: boolean }): {
    status: "green" | "yellow" | "red"; activeShards: number; activePrimaries: number; unassignedShards: number; totalShards: number;
} {
    let primaries = 0;
    let replicasAssigned = 0;
    let unassigned = 0;
    for (const ix of state.indices.values()) {
        const s = indexShards(ix);
        primaries += s.primaries;
        const assignable = Math.min(s.replicas, Math.max(0, state.dataNodes - 1));
        replicasAssigned += s.primaries * assignable;
        unassigned += s.primaries * (s.replicas - assignable);
    }
    const status = state.forceRed ? "red" : unassigned > 0 ? "yellow" : "green";
    return { status, activeShards: primaries + replicasAssigned, activePrimaries: primaries, unassignedShards: unassigned, totalShards: primaries + replicasAssigned + unassigned };
}

export function clusterApi(state: PeerState, req: PeerRequest): Reply | undefined {
    if (req.segments[1] !== "health" || req.method !== "GET") return undefined;
    const h = clusterHealth(state);
    return { status: 200, body: {
        cluster_name: "123456789012:guardpost", status: h.status, timed_out: false, number_of_nodes: state.dataNodes, number_of_data_nodes: state.dataNodes,
        active_primary_shards: h.activePrimaries, active_shards: h.activeShards, relocating_shards: 0, initializing_shards: 0,
        unassigned_shards: h.unassignedShards, delayed_unassigned_shards: 0, number_of_pending_tasks: 0, number_of_in_flight_fetch: 0,
        task_max_waiting_in_queue_millis: 0, active_shards_percent_as_number: h.totalShards ? (100 * h.activeShards) / h.totalShards : 100,
    } };
}
