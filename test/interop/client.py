"""A Python client of Steadfast's workflow types, as another team would write it with the
`temporalio` SDK and docs/INTEROP.md. It starts, signals, queries and updates runs of each type,
with and without a fault plan, runs visibility queries over Steadfast's search attributes, and
prints one JSON document of what it saw for test/interop.test.ts to check.

Usage: python client.py <address> <namespace> <task-queue> <tag> <fixture.json>
"""

import asyncio
import json
import os
import sys
import uuid

from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

FAULT_PLAN_MEMO_KEY = "steadfast.faults"


def wid(prefix: str, tag: str) -> str:
    return f"{prefix}-{tag}-{uuid.uuid4().hex[:8]}"


async def outcome(handle):
    """The run's result, or its failure type and message (an ApplicationError's type)."""
    try:
        return {"status": "COMPLETED", "result": await handle.result()}
    except WorkflowFailureError as err:
        cause = err.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.cause
        return {
            "status": "FAILED",
            "type": cause.type if cause else None,
            "message": cause.message if cause else str(err),
        }


async def main() -> None:
    address, namespace, queue, tag, fixture_file = sys.argv[1:6]
    with open(fixture_file) as f:
        fixture = json.load(f)
    accounts, skus = fixture["accounts"], fixture["skus"]
    client = await Client.connect(address, namespace=namespace)
    seen = {}

    async def start(kind, workflow_type, payload, memo=None):
        return await client.start_workflow(
            workflow_type, payload, id=wid(kind, tag), task_queue=queue, memo=memo
        )

    # carePathway: signal, query, update, and a rejected update.
    care = await start(
        "py-care", "carePathway",
        {"patientId": f"py-{tag}", "ward": "icu", "followUpAfter": "1 second", "signOffWithin": "1 hour"},
    )
    notes = await care.execute_update("addNote", {"author": "dr-ada", "text": "stable"})
    try:
        await care.execute_update("addNote", {"author": "dr-ada", "text": "x", "urgent": True})
        rejected = None
    except WorkflowUpdateFailedError as err:
        rejected = str(err.cause)
    await care.signal("signOff", {"clinician": "dr-who"})
    seen["carePathway"] = {
        "workflowId": care.id,
        "notes": notes,
        "rejectedUpdate": rejected,
        "state": await care.query("state"),
        **(await outcome(care)),
    }

    # carePathway with a fault plan: the admission fails once, then the run completes.
    flaky = await start(
        "py-care-faults", "carePathway",
        {"patientId": f"py-f-{tag}", "ward": "icu", "followUpAfter": "1 second"},
        memo={FAULT_PLAN_MEMO_KEY: {"admitPatient": {"kind": "transient", "times": 1}}},
    )
    seen["carePathwayWithFaults"] = {"workflowId": flaky.id, **(await outcome(flaky))}

    # moneyTransfer: one that completes, one compensated by a fault plan, one with a bad key.
    ok = await start(
        "py-transfer", "moneyTransfer",
        {"transferId": wid("t", tag), "fromAccount": accounts["alice"], "toAccount": accounts["bob"], "amount": 1234},
    )
    seen["moneyTransfer"] = {"workflowId": ok.id, **(await outcome(ok))}
    undone = await start(
        "py-transfer-faults", "moneyTransfer",
        {"transferId": wid("t", tag), "fromAccount": accounts["alice"], "toAccount": accounts["bob"], "amount": 777},
        memo={FAULT_PLAN_MEMO_KEY: {"deposit": {"kind": "permanent"}}},
    )
    seen["moneyTransferWithFaults"] = {"workflowId": undone.id, **(await outcome(undone))}
    bad = await start(
        "py-transfer-bad", "moneyTransfer",
        {"transferId": wid("t", tag), "fromAccount": accounts["alice"], "toAccount": accounts["bob"], "amount": 5, "currency": "EUR"},
    )
    seen["moneyTransferBadInput"] = {"workflowId": bad.id, **(await outcome(bad))}
    misspelt = await start(
        "py-transfer-bad-plan", "moneyTransfer",
        {"transferId": wid("t", tag), "fromAccount": accounts["alice"], "toAccount": accounts["bob"], "amount": 5},
        memo={FAULT_PLAN_MEMO_KEY: {"deposit": {"kind": "permament"}}},
    )
    seen["moneyTransferBadPlan"] = {"workflowId": misspelt.id, **(await outcome(misspelt))}

    # orderFulfillment and productionBatch.
    order = await start(
        "py-order", "orderFulfillment",
        {
            "orderId": wid("o", tag),
            "customerEmail": "alice@example.com",
            "paymentAccount": accounts["alice"],
            "merchantAccount": accounts["merchant"],
            "items": [{"sku": skus["widget"], "quantity": 1}],
            "shippingAddress": "1 Market Street",
        },
        memo={FAULT_PLAN_MEMO_KEY: {"chargePayment": {"kind": "transient", "times": 1}}},
    )
    seen["orderFulfillmentWithFaults"] = {"workflowId": order.id, **(await outcome(order))}
    line = await start(
        "py-line", "productionBatch",
        {"lineId": wid("line", tag), "product": "gearbox", "batches": 1, "unitsPerBatch": 2, "stages": ["machining"], "unitMs": 1},
    )
    seen["productionBatch"] = {"workflowId": line.id, **(await outcome(line))}

    # Visibility over Steadfast's search attributes (wait until the index catches up).
    queries = {
        "compensated": f"SteadfastCompensated = true AND WorkflowId = '{undone.id}'",
        "faulted": f"SteadfastFaults > 0 AND WorkflowId = '{flaky.id}'",
    }
    found = {}
    for name, query in queries.items():
        ids = []
        for _ in range(100):
            ids = [w.id async for w in client.list_workflows(query)]
            if ids:
                break
            await asyncio.sleep(0.2)
        found[name] = ids
    seen["visibility"] = found
    print(json.dumps(seen))


asyncio.run(main())
# The SDK's Rust runtime threads can still be running while the interpreter finalizes, which
# sometimes aborts the process ("PyGILState_Release ... finalizing") after the work is done and
# printed. Exit without finalizing: the output is flushed and nothing else is pending.
sys.stdout.flush()
os._exit(0)
