-- The sample shop for PostgreSQL: the tables of ../shop.sql written the
-- PostgreSQL way, with every column type looklook maps from PostgreSQL
-- (serial and identity keys, an enum type, arrays, uuid, jsonb, bytea,
-- timestamptz), the looklook conventions (soft delete, optimistic lock),
-- single and composite unique keys, and a table keyed by a string.

CREATE TYPE product_kind AS ENUM ('book', 'toy', 'food');

-- `user` is a reserved word in PostgreSQL: quoted, as it must be.
CREATE TABLE "user" (
  id bigserial PRIMARY KEY,
  create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  delete_time timestamp NOT NULL DEFAULT '1970-01-01 00:00:00',
  del_state smallint NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0,
  mobile char(11) NOT NULL DEFAULT '',
  nickname varchar(255) NOT NULL DEFAULT '',
  sex boolean NOT NULL DEFAULT false,
  avatar varchar(255),
  balance numeric(10, 2) NOT NULL DEFAULT 0,
  points integer NOT NULL DEFAULT 0,
  extra jsonb,
  CONSTRAINT idx_mobile UNIQUE (mobile)
);
COMMENT ON COLUMN "user".version IS 'optimistic lock';
COMMENT ON COLUMN "user".sex IS 'false: male, true: female';

CREATE TABLE user_auth (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  user_id bigint NOT NULL DEFAULT 0,
  auth_key varchar(64) NOT NULL DEFAULT '',
  auth_type varchar(12) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_type_key ON user_auth (auth_type, auth_key);
CREATE UNIQUE INDEX idx_user_type ON user_auth (user_id, auth_type);
CREATE INDEX idx_user ON user_auth (user_id);
COMMENT ON COLUMN user_auth.auth_key IS 'the mobile number or the WeChat openid';
COMMENT ON COLUMN user_auth.auth_type IS 'mobile or wxMini';

CREATE TABLE product (
  sku varchar(32) PRIMARY KEY,
  title text NOT NULL,
  price numeric(10, 2) NOT NULL,
  weight double precision NOT NULL DEFAULT 0,
  rating real,
  stock smallint NOT NULL DEFAULT 0,
  kind product_kind NOT NULL DEFAULT 'book',
  tags text[] NOT NULL DEFAULT '{}',
  sizes integer[],
  released date,
  opens_at time,
  thumbnail bytea,
  token uuid UNIQUE,
  spec json,
  barcode bigint UNIQUE,
  updated timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN product.sku IS 'stock keeping unit';
