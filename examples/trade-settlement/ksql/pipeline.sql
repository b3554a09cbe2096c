-- The ksqlDB side of the trade-settlement pipeline (for Confluent Cloud / Platform ksqlDB). The same
-- statements run on Kafka Streams in ../streams/TradeSettlementPipeline.java, which `pnpm demo` runs.
--   stocktrade (datagen) ─┐
--                         ├─ USER_TRADES (join) → user_trades → Lambda → trade-settlements → TRADE_SETTLEMENT
--   users (datagen) ──────┘                                                     └→ per-minute counts per disposition

SET 'auto.offset.reset' = 'earliest';

-- Trades as the datagen "Stock_Trades" quickstart writes them, keyed by user id.
CREATE STREAM STOCKTRADE (
  USERID VARCHAR KEY,
  SIDE VARCHAR,
  QUANTITY INT,
  SYMBOL VARCHAR,
  PRICE INT,
  ACCOUNT VARCHAR
) WITH (KAFKA_TOPIC = 'stocktrade', VALUE_FORMAT = 'JSON', PARTITIONS = 3);

-- Users as the datagen "Users" quickstart writes them, keyed by user id.
CREATE TABLE USERS (
  USERID VARCHAR PRIMARY KEY,
  REGISTERTIME BIGINT,
  REGIONID VARCHAR,
  GENDER VARCHAR
) WITH (KAFKA_TOPIC = 'users', VALUE_FORMAT = 'JSON', PARTITIONS = 3);

-- Each trade with its user's region. LEFT JOIN: a trade without a known user still flows, with null
-- user columns, and the function rejects it ("No user account specified").
-- The join key (the trade's user id) is the record key: user_trades stays partitioned by user. A key
-- column is not in the value, so the value's USERID is the users table's, copied with AS_VALUE: null
-- when the join found no user, which is what the function checks.
CREATE STREAM USER_TRADES WITH (KAFKA_TOPIC = 'user_trades', VALUE_FORMAT = 'JSON', PARTITIONS = 3) AS
  SELECT
    S.USERID AS USER_KEY,
    AS_VALUE(U.USERID) AS USERID,
    U.REGIONID AS REGIONID,
    S.QUANTITY AS QUANTITY,
    S.SYMBOL AS SYMBOL,
    S.PRICE AS PRICE,
    S.ACCOUNT AS ACCOUNT,
    S.SIDE AS SIDE
  FROM STOCKTRADE S
  LEFT JOIN USERS U ON S.USERID = U.USERID
  EMIT CHANGES;

-- What the function writes: Protobuf through the Schema Registry, keyed by symbol, with the trade's
-- timestamp as the record's (ROWTIME): the windows below count trades by when they happened.
CREATE STREAM TRADE_SETTLEMENT WITH (
  KAFKA_TOPIC = 'trade-settlements',
  KEY_FORMAT = 'KAFKA',
  VALUE_FORMAT = 'PROTOBUF'
);

-- Settlements per disposition per minute, one table per disposition for the dashboard.
CREATE TABLE COMPLETED_PER_MINUTE AS
  SELECT SYMBOL, COUNT(*) AS SETTLEMENTS, SUM(AMOUNT) AS TOTAL_AMOUNT
  FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE DISPOSITION = 'Completed'
  GROUP BY SYMBOL
  EMIT CHANGES;

CREATE TABLE PENDING_PER_MINUTE AS
  SELECT SYMBOL, COUNT(*) AS SETTLEMENTS, SUM(AMOUNT) AS TOTAL_AMOUNT
  FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE DISPOSITION = 'Pending'
  GROUP BY SYMBOL
  EMIT CHANGES;

CREATE TABLE FLAGGED_PER_MINUTE AS
  SELECT SYMBOL, COUNT(*) AS SETTLEMENTS, SUM(AMOUNT) AS TOTAL_AMOUNT
  FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE DISPOSITION = 'Flagged'
  GROUP BY SYMBOL
  EMIT CHANGES;

CREATE TABLE REJECTED_PER_MINUTE AS
  SELECT SYMBOL, COUNT(*) AS SETTLEMENTS, SUM(AMOUNT) AS TOTAL_AMOUNT
  FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE DISPOSITION = 'Rejected'
  GROUP BY SYMBOL
  EMIT CHANGES;

-- All dispositions side by side.
CREATE TABLE SETTLEMENTS_PER_DISPOSITION_PER_MINUTE AS
  SELECT DISPOSITION, COUNT(*) AS SETTLEMENTS
  FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE)
  GROUP BY DISPOSITION
  EMIT CHANGES;
