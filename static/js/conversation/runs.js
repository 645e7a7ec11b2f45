// Which Live run the page listens to. Every upstream connection of a
// conversation is a run, and run ids only grow. Events of an older run can
// still arrive after a newer run's (the previous device's relay winding down
// after this device connected): they describe a connection that is gone and
// must not undo what the newer run said.

export const RUN_EVENTS = new Set(["status", "session.created", "context.restored"]);

export class RunGate {
  constructor() {
    this.latest = null;
  }

  /** Whether to act on an event; events without a run id always pass. */
  admit(message) {
    if (!RUN_EVENTS.has(message.type)) return true;
    const runId = message.run_id;
    if (!Number.isInteger(runId)) return true;
    if (this.latest !== null && runId < this.latest) return false;
    this.latest = runId;
    return true;
  }
}
