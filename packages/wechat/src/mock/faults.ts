/**
 * Queued faults per WeChat path. Each call to a path takes the oldest queued fault for it and
 * uses one of its `count`; the fault is dropped when its count reaches 0.
 */
import type { MockFault } from "./protocol.ts";

export interface PendingFault {
  path: string;
  errcode?: number;
  errmsg?: string;
  hang?: true;
  badGateway?: true;
  reset?: true;
  remaining: number;
}

export type FaultAction =
  | { type: "errcode"; errcode: number; errmsg: string | undefined }
  | { type: "hang" }
  | { type: "badGateway" }
  | { type: "reset" };

export class FaultQueue {
  private readonly queues = new Map<string, PendingFault[]>();

  add(fault: MockFault): PendingFault {
    const pending: PendingFault = {
      path: fault.path,
      ...(fault.errcode === undefined ? {} : { errcode: fault.errcode }),
      ...(fault.errmsg === undefined ? {} : { errmsg: fault.errmsg }),
      ...(fault.hang === true ? { hang: true as const } : {}),
      ...(fault.badGateway === true ? { badGateway: true as const } : {}),
      ...(fault.reset === true ? { reset: true as const } : {}),
      remaining: fault.count ?? 1,
    };
    const queue = this.queues.get(fault.path) ?? [];
    queue.push(pending);
    this.queues.set(fault.path, queue);
    return pending;
  }

  /** The fault this call must suffer, if any. */
  take(path: string): FaultAction | undefined {
    const queue = this.queues.get(path);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    if (queue.length === 0) this.queues.delete(path);
    if (next.hang) return { type: "hang" };
    if (next.badGateway) return { type: "badGateway" };
    if (next.reset) return { type: "reset" };
    // The schema guarantees errcode when the others are absent.
    return { type: "errcode", errcode: next.errcode ?? -1, errmsg: next.errmsg };
  }

  list(): PendingFault[] {
    return [...this.queues.values()].flat().map((fault) => ({ ...fault }));
  }

  /** Returns how many faults were dropped. */
  clear(): number {
    const dropped = this.list().length;
    this.queues.clear();
    return dropped;
  }
}
