/**
 * The starter gatehouse.yaml written by `gatehouse init`. It loads as is (a test keeps it so)
 * and runs against the built-in sandbox, so a first `gatehouse serve` works without secrets.
 */

const STARTER = `# gatehouse.yaml — who may do what to your CRM, and what happens when it goes wrong.
# Check it with \`gatehouse check\`; every error names the line and the field.
# \${NAME} reads an environment variable (\${NAME:-default} gives a fallback).

version: 1

storage:
  url: sqlite:./data/gatehouse.db          # or postgres://user@127.0.0.1:5432/gatehouse

server:
  listen: 127.0.0.1:4100
  public_url: http://127.0.0.1:4100        # used in links sent to approvers

audit:
  signing_key_file: ./data/audit-ed25519.pem   # created on first start if missing
  checkpoint_every: 1h                          # a signed checkpoint, even when idle

connectors:
  crm:
    type: sandbox                  # the built-in marketing CRM with seeded demo data
    seed: 42                       # same seed, same data
    size: { contacts: 5000, companies: 800, deals: 1200 }

# Roles: admin, approver, auditor, responder.
people:
  - { id: alex, name: Alex Admin, email: alex@example.com, roles: [admin, approver, responder] }
  - { id: jo, name: Jo Approver, email: jo@example.com, roles: [approver, auditor] }

agents:
  - id: lead-router
    owner: alex
    description: Assigns new leads to the right rep.
    mode: observe                  # writes are planned, judged and recorded, never executed
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        read_fields: [email, firstname, lifecyclestage, country, owner_id]
        write_fields: [owner_id]
        where: "record.country in ['US', 'CA']"   # records outside are invisible and unwritable
        pii: mask                                # email shown as a***@example.com
    limits: { max_batch: 100, actions_per_minute: 60 }

# Policies run after the grants; deny beats require_approval beats allow.
# CEL variables: agent {id, mode, owner}, action {connector, object, operation, reason},
# changes {records, fields, irreversible}, now.
policies:
  - id: launches-need-approval
    when: "action.operation == 'launch'"
    effect: require_approval
    approvers: { role: approver, count: 1 }      # never the agent's owner
    checklist: [unsubscribe-link, segment-correct]

checklists:
  unsubscribe-link: The email has a working unsubscribe link.
  segment-correct: The list is the segment the campaign brief names.

approvals:
  expire_after: 24h                 # an expired approval is a rejection
  escalation:
    - { after: 4h, notify: { role: admin } }

breakers:
  - id: agent-errors
    metric: agent.error_rate
    window: 10m
    trip_when: { above: 0.2, min_events: 20 }
    scope: { agents: all }
    on_trip: { pause: true, notify: [{ role: responder }] }

# notifications:
#   - { type: webhook, url: https://hooks.example.com/gatehouse, secret: "\${HOOK_SECRET}" }
`;

export function starterConfig(): string {
  return STARTER;
}
