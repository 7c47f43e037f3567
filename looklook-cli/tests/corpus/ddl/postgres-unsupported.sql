-- PostgreSQL tables a model cannot be made of; every problem is reported.
CREATE TYPE mood AS ENUM ('sad', 'ok');

CREATE TABLE place (
  id bigserial PRIMARY KEY,
  at point NOT NULL,
  moods mood[],
  photos bytea[],
  "Odd Name" int
);
CREATE UNIQUE INDEX place_code ON place (code);
