-- Whether the event sells through a waiting room (docs/adr/0010-waiting-room.md): then holds and
-- orders need the buyer's admission. Set from EventPublished and every applied EventUpdated.
ALTER TABLE events ADD COLUMN waiting_room boolean NOT NULL DEFAULT false;
