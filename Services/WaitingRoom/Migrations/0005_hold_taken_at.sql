-- When booking took the buyer's first hold (its HoldCreated's time, booking's clock, never later
-- than the queue's now), beside when the queue read it (held_at). The claim-to-hold times that set
-- how long a claim counts as on its way are the buyers' own (claimed_at to hold_taken_at), not the
-- buyers' plus however far the holds consumer was behind; what booking's count may be missing is
-- still judged by held_at, on the queue's own clock (docs/adr/0010-waiting-room.md).
ALTER TABLE places ADD COLUMN hold_taken_at timestamptz;
