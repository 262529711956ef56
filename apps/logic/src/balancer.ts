/**
 * The weighted comet list of goim's nodes/weighted (spec §3.7), written from the spec's
 * description: each comet's weight is its configured weight (boosted for the client's
 * region) corrected by how far its share of connections is from its share of weight; the
 * best node is counted as having received one more connection.
 */
import type { CometNode } from './comets.js';

/** At most this many nodes are returned (goim constant). */
export const MAX_NODES = 5;
/** Clamp of a computed weight (goim constants). */
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 1 << 20;

/** A comet as the balancer sees it. */
export interface BalancerNode {
  hostname: string;
  region: string;
  /** Metadata `weight` (0 if unparseable, as goim). */
  fixedWeight: number;
  /** Metadata `conn_count` at the last change, plus one per pick since. */
  currentConns: number;
  /** Public client IPs (metadata `addrs`, comma-separated). */
  addrs: string[];
  /** The instance's latest_timestamp; an instance with an unchanged one keeps its node. */
  updated: number;
  /** Weight computed by the last {@link WeightedBalancer.pick}. */
  currentWeight: number;
}

/** Domains and IPs of the chosen nodes, best first. */
export interface PickedNodes {
  domains: string[];
  addrs: string[];
}

/**
 * Rounds half towards negative infinity, as goim's weight formula does: `floor(m)` when
 * `floor(m) − m ≥ −0.5`, else `ceil(m)`.
 */
export function roundHalfDown(m: number): number {
  const fl = Math.floor(m);
  return fl - m >= -0.5 ? fl : Math.ceil(m);
}

/** One node's weight for a request (the formula of §3.7). */
export function computeWeight(node: BalancerNode, totalWeight: number, totalConns: number, gain: number): number {
  const fw = node.fixedWeight * gain;
  if (totalConns <= 0) return 0;
  const tw = totalWeight + Math.trunc(fw) - node.fixedWeight;
  // tw is 0 only when every weight is 0; goim divided by zero there (NaN), we read the share as 0.
  const weightShare = tw > 0 ? fw / tw : 0;
  const diff = weightShare - (node.currentConns / totalConns) * 0.5;
  const w = Math.trunc(fw + roundHalfDown(diff * totalConns));
  return diff < 0 ? Math.max(MIN_WEIGHT, w) : Math.min(MAX_WEIGHT, w);
}

/** goim's load balancer over the eligible comets. Not thread-safe concerns in JS: calls are atomic. */
export class WeightedBalancer {
  private nodes: BalancerNode[] = [];
  private totalConns = 0;
  private totalWeight = 0;

  /**
   * Replaces the node list. Ignored (returns false) when the new list is empty or smaller
   * than half the current one: goim's guard against discovery flaps.
   */
  update(comets: readonly CometNode[]): boolean {
    if (comets.length === 0 || comets.length < this.nodes.length / 2) return false;
    const old = new Map(this.nodes.map((n) => [n.hostname, n]));
    const next: BalancerNode[] = [];
    for (const { instance, connCount } of comets) {
      const prev = old.get(instance.hostname);
      if (prev && prev.updated === instance.latest_timestamp) {
        next.push(prev);
        continue;
      }
      const weight = instance.metadata?.weight;
      next.push({
        hostname: instance.hostname,
        region: instance.region,
        fixedWeight: weight && /^-?\d+$/.test(weight) ? Number(weight) : 0,
        currentConns: connCount,
        addrs: (instance.metadata?.addrs ?? '')
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        updated: instance.latest_timestamp,
        currentWeight: 0,
      });
    }
    this.nodes = next;
    this.totalConns = next.reduce((s, n) => s + n.currentConns, 0);
    this.totalWeight = next.reduce((s, n) => s + n.fixedWeight, 0);
    return true;
  }

  /** The current nodes (in update order), for inspection. */
  list(): readonly Readonly<BalancerNode>[] {
    return this.nodes;
  }

  /**
   * Weighs every node for a client in `region`, counts one connection for the best one and
   * returns the best {@link MAX_NODES}: domains (`hostname + hostDomain`) and all their IPs.
   */
  pick(region: string, hostDomain: string, regionWeight: number): PickedNodes {
    for (const n of this.nodes) {
      n.currentWeight = computeWeight(n, this.totalWeight, this.totalConns, n.region === region ? regionWeight : 1);
    }
    // Stable sort: equal weights keep update order (goim's order there was map-random).
    const sorted = [...this.nodes].sort((a, b) => b.currentWeight - a.currentWeight);
    const best = sorted[0];
    if (best) {
      best.currentConns++;
      this.totalConns++;
    }
    const domains: string[] = [];
    const addrs: string[] = [];
    for (const n of sorted.slice(0, MAX_NODES)) {
      domains.push(n.hostname + hostDomain);
      addrs.push(...n.addrs);
    }
    return { domains, addrs };
  }
}
