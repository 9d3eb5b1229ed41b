-- Monitoring by subgroup (issue 26): the equipment's Manufacturer (0008,0070) of each instance.
ALTER TABLE instance ADD COLUMN manufacturer VARCHAR(64);
