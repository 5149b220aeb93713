"""Build the worked example in `cases/` through the real operations (run by `make example`).

The seed case of DESIGN §2 (HL-2111-0069, rubbish dumping at the wood factory gate) goes through
all four stages; four more cases show a consultation answered on the call, a returned and
re-dispatched case, an extended complex case and a rejected call. Event ids are random, so a
rebuild differs from the committed files only in those ids.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = "2021-11-30T18:00:00"


def build(into: Path) -> list[str]:
    """Build the example store's case files into `into` (a cases/ folder); return the ids."""
    from jiesu import ops

    os.environ["JIESU_NOW"] = NOW
    with tempfile.TemporaryDirectory() as tmp:
        store = ops.init_store(Path(tmp) / "store", office="HL", name="Dragon Gate pilot office", actor="admin")
        month = store.root / "cases" / "2021" / "11"
        month.mkdir(parents=True)
        placeholder = month / "HL-2111-0068.yaml"  # the example starts at sequence 69, as in DESIGN §2
        placeholder.write_text("")

        def intake(actor, **fields):
            return ops.intake(store, [fields], actor)[0].case_id

        seed = intake(
            "123456", at="2021-11-02T10:02:02", type="complaint", channel="hotline",
            category="env.garbage.unregulated-collection", title="Rubbish dumping at the wood factory gate",
            description="Somebody disposed of garbage at the east gate of the wood factory in Hege Village,\n"
                        "several times already. Please inform the complainant about the handling in due time.",
            street="dragon-gate/eternal-town", community="hege-village", address="East gate of the wood factory in Hege Village",
            kind="individual", surname="Wang", name="Wang Lihua", phone="15123456789",
            tags=["seven-guarantees-five-qualities", "livability"],
        )
        ops.assign(store, seed, "dispatcher", unit="dragon-gate/eternal-town", at="2021-11-02T10:07:00")
        ops.accept(store, seed, "eternal-town", at="2021-11-02T10:11:00")
        ops.contact(store, seed, "eternal-town", note="Site inspected", at="2021-11-03T09:30:00")
        ops.close(store, seed, "eternal-town", True, "Garbage cleared, monitoring increased", at="2021-11-07T14:57:22")
        ops.evaluate(store, seed, "654321", True, True, True, "very-satisfied", at="2021-11-08T16:20:00")

        answered = intake(
            "123456", at="2021-11-03T09:15:00", type="consultation", channel="hotline",
            category="policy.residence.residence-permit", title="How to apply for a residence permit",
            street="dragon-gate/dragon-spring", surname="Li", phone="010-62345678",
            answered="Explained the conditions (six months of residence with work, housing or study) and that the "
                     "application is made at the local police station with the lease and ID card",
        )
        ops.evaluate(store, answered, "654321", True, True, True, "satisfied", at="2021-11-04T10:00:00")

        returned = intake(
            "123457", at="2021-11-05T19:40:00", type="complaint", channel="app",
            category="transport.parking.residential-parking", title="Cars parked on the fire lane of Building 6 every night",
            street="dragon-gate/north-garden", address="Building 6, Spring Garden compound", surname="Zhao", phone="13911112222",
        )
        ops.assign(store, returned, "dispatcher", at="2021-11-05T19:52:00")
        ops.return_case(store, returned, "north-garden", "The compound lies in Dragon Spring Street, not North Garden", at="2021-11-06T08:40:00")
        ops.assign(store, returned, "dispatcher", unit="dragon-gate/dragon-spring", at="2021-11-06T09:05:00")
        ops.accept(store, returned, "dragon-spring", at="2021-11-06T09:30:00")
        ops.contact(store, returned, "dragon-spring", note="Called the complainant; night patrol arranged with the property company", at="2021-11-06T14:00:00")
        ops.close(store, returned, "dragon-spring", True, "Fire lane marked and signposted; property company patrols at night", at="2021-11-10T16:00:00")
        ops.evaluate(store, returned, "654321", True, True, True, "basically-satisfied", at="2021-11-11T11:00:00")

        extended = intake(
            "123456", at="2021-11-12T14:20:00", type="complaint", channel="hotline",
            category="property.owners-committee.disputes", title="Owners' committee will not publish the maintenance fund accounts",
            street="dragon-gate/eternal-town", community="hege-village", surname="Chen", phone="+86 138 0013 8000",
            description="Owners have asked for three months to see how the maintenance fund was spent.",
        )
        ops.assign(store, extended, "dispatcher", at="2021-11-12T14:35:00")
        ops.accept(store, extended, "eternal-town", at="2021-11-12T15:10:00")
        ops.contact(store, extended, "eternal-town", note="Met three owners' representatives", at="2021-11-13T10:00:00")
        ops.escalate(store, extended, "eternal-town", "urban-management", "Suspected unauthorised building work paid from the fund", at="2021-11-20T09:00:00")
        ops.extend(store, extended, "eternal-town", "An audit of the fund by the housing commission takes until early December", by="10d", at="2021-11-25T17:00:00")

        rejected = intake(
            "123458", at="2021-11-14T02:13:00", type="consultation", channel="hotline",
            title="Caller was drunk and made no request",
        )
        ops.reject(store, rejected, "123458", "Invalid call: the caller was drunk and made no request", at="2021-11-14T02:20:00")

        placeholder.unlink()
        ids = [seed, answered, returned, extended, rejected]
        target = into / "2021" / "11"
        if into.exists():
            shutil.rmtree(into / "2021", ignore_errors=True)
        target.mkdir(parents=True, exist_ok=True)
        for case_id in ids:
            shutil.copy2(month / f"{case_id}.yaml", target / f"{case_id}.yaml")
    return ids


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    built = build(REPO / "cases")
    print("built", ", ".join(built), "into cases/2021/11/")
