"""The workers' lease and backoff, and how long the soak waits before a hang."""

LEASE_TTL_S = 3
MAX_BACKOFF_MS = 1000
# A takeover is answered (owner or takeover_failed) within the lease TTL and a few
# seconds' grace; more than that, with room for a busy machine, is a hang.
TAKEOVER_ANSWER_S = LEASE_TTL_S + 8
# A hello is answered with the replay and a presence at once.
HELLO_ANSWER_S = 10
# Once its socket is gone, a relay ends its run within the upstream close timeout.
RUNS_CLOSE_S = 20
