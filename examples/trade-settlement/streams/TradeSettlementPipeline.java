package settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The stateful half of the trade-settlement pipeline, statement by statement as ../ksql/pipeline.sql
 * says it for ksqlDB, in the Kafka Streams DSL. Runs embedded in one JVM here; the same topology scales
 * out by starting more instances with the same application.id (partitions are shared among them).
 *
 * <p>Arguments: --bootstrap=HOST:PORT --registry=URL --protoc=PATH --application-id=ID --state-dir=DIR
 * [--suffix=S] (appended to every topic name). Prints a JSON status line twice a second on stdout: counts
 * and the windowed tables, read from the state stores (interactive queries).
 */
public final class TradeSettlementPipeline {
  static final ObjectMapper JSON = new ObjectMapper();
  static final AtomicLong joined = new AtomicLong();
  static final AtomicLong settlementsRead = new AtomicLong();
  static final AtomicLong skipped = new AtomicLong();
  static final List<String> DISPOSITIONS = List.of("Completed", "Pending", "Flagged", "Rejected");
  static final Duration MINUTE = Duration.ofMinutes(1);
  // ksqlDB's default grace for windows without GRACE PERIOD: late (out-of-order) settlements still count.
  static final Duration GRACE = Duration.ofHours(24);

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String arg : argv) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) throw new IllegalArgumentException("expected --name=value, got " + arg);
      args.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    String suffix = args.getOrDefault("suffix", "");
    var deserializer = new RegistryProtobufDeserializer(required(args, "registry"), required(args, "protoc"));
    var builder = new StreamsBuilder();
    topology(builder, suffix, deserializer);

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, required(args, "application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(args, "bootstrap"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, required(args, "state-dir"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    // Emit every change (EMIT CHANGES) and commit often: the demo watches the tables fill.
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "500");
    // One repartition topic for the four per-symbol tables; the users table reads its own topic on restore.
    props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
    // SET 'auto.offset.reset' = 'earliest';
    props.put("auto.offset.reset", "earliest");
    // The function's settlements are transactional (one transaction per invocation): read only what
    // committed, so a failed attempt's settlements are never counted. The Java client defaults to
    // read_uncommitted.
    props.put(StreamsConfig.consumerPrefix("isolation.level"), "read_committed");
    // ksqlDB skips a record it cannot deserialize and logs it to its processing log: the same here.
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, SkipAndCount.class.getName());
    // A trade waits this long for the users partition it joins with to be fetched (stream-table join).
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "2000");

    var streams = new KafkaStreams(builder.build(props), props);
    var done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      done.countDown();
    }));
    streams.start();
    Thread status = new Thread(() -> {
      while (true) {
        try {
          System.out.println(JSON.writeValueAsString(status(streams)));
          System.out.flush();
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          System.err.println("status: " + e);
        }
      }
    }, "status");
    status.setDaemon(true);
    status.start();
    done.await();
    if (streams.state() == KafkaStreams.State.ERROR) System.exit(1);
  }

  static void topology(StreamsBuilder builder, String suffix, Deserializer<DynamicMessage> protobuf) {
    // CREATE STREAM STOCKTRADE (USERID VARCHAR KEY, SIDE VARCHAR, QUANTITY INT, SYMBOL VARCHAR, PRICE INT,
    //   ACCOUNT VARCHAR) WITH (KAFKA_TOPIC = 'stocktrade', VALUE_FORMAT = 'JSON');
    Serde<Map<String, Object>> stocktradeFormat = jsonRow(Map.of(
        "SIDE", Type.VARCHAR, "QUANTITY", Type.INT, "SYMBOL", Type.VARCHAR, "PRICE", Type.INT, "ACCOUNT", Type.VARCHAR));
    KStream<String, Map<String, Object>> stocktrade =
        builder.stream("stocktrade" + suffix, Consumed.with(Serdes.String(), stocktradeFormat));

    // CREATE TABLE USERS (USERID VARCHAR PRIMARY KEY, REGISTERTIME BIGINT, REGIONID VARCHAR, GENDER VARCHAR)
    //   WITH (KAFKA_TOPIC = 'users', VALUE_FORMAT = 'JSON');
    Serde<Map<String, Object>> usersFormat =
        jsonRow(Map.of("REGISTERTIME", Type.BIGINT, "REGIONID", Type.VARCHAR, "GENDER", Type.VARCHAR));
    KTable<String, Map<String, Object>> users = builder.table(
        "users" + suffix, Consumed.with(Serdes.String(), usersFormat), Materialized.as("USERS"));

    // CREATE STREAM USER_TRADES WITH (KAFKA_TOPIC = 'user_trades', VALUE_FORMAT = 'JSON') AS
    //   SELECT S.USERID AS USER_KEY, AS_VALUE(U.USERID) AS USERID, U.REGIONID AS REGIONID, S.QUANTITY AS
    //   QUANTITY, S.SYMBOL AS SYMBOL, S.PRICE AS PRICE, S.ACCOUNT AS ACCOUNT, S.SIDE AS SIDE
    //   FROM STOCKTRADE S LEFT JOIN USERS U ON S.USERID = U.USERID EMIT CHANGES;
    // The join key (the trade's user id) stays the record key, so user_trades is partitioned by user.
    stocktrade
        .leftJoin(users, (String userId, Map<String, Object> s, Map<String, Object> u) -> {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("USERID", u == null ? null : userId);
          row.put("REGIONID", u == null ? null : u.get("REGIONID"));
          row.put("QUANTITY", s.get("QUANTITY"));
          row.put("SYMBOL", s.get("SYMBOL"));
          row.put("PRICE", s.get("PRICE"));
          row.put("ACCOUNT", s.get("ACCOUNT"));
          row.put("SIDE", s.get("SIDE"));
          return row;
        })
        .peek((k, v) -> joined.incrementAndGet())
        .to("user_trades" + suffix, Produced.with(Serdes.String(), TradeSettlementPipeline.<Map<String, Object>>jsonOut()));

    // CREATE STREAM TRADE_SETTLEMENT WITH (KAFKA_TOPIC = 'trade-settlements', KEY_FORMAT = 'KAFKA',
    //   VALUE_FORMAT = 'PROTOBUF');  -- columns from the registry's schema, by field name
    KStream<String, Settlement> settlements = builder
        .stream("trade-settlements" + suffix, Consumed.with(Serdes.String(), Serdes.serdeFrom((topic, m) -> {
          throw new UnsupportedOperationException("read-only");
        }, protobuf)))
        .filter((k, m) -> m != null)
        .mapValues(Settlement::of)
        .peek((k, v) -> settlementsRead.incrementAndGet());

    // CREATE TABLE <DISPOSITION>_PER_MINUTE AS SELECT SYMBOL, COUNT(*) AS SETTLEMENTS, SUM(AMOUNT) AS
    //   TOTAL_AMOUNT FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE) WHERE DISPOSITION = '<Disposition>'
    //   GROUP BY SYMBOL EMIT CHANGES;  -- one table per disposition
    KStream<String, Settlement> bySymbol = settlements.selectKey((k, s) -> s.symbol());
    for (String disposition : DISPOSITIONS) {
      String table = tableName(disposition);
      bySymbol
          .filter((symbol, s) -> disposition.equals(s.disposition()))
          .groupByKey(Grouped.with(Serdes.String(), Settlement.SERDE))
          .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, GRACE))
          .aggregate(() -> Agg.ZERO, (symbol, s, agg) -> agg.add(s.amount()),
              Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as(table)
                  .withKeySerde(Serdes.String()).withValueSerde(Agg.SERDE).withRetention(MINUTE.plus(GRACE)))
          .toStream()
          .map((w, agg) -> KeyValue.pair(w.key(), (Object) windowRow("SYMBOL", w, agg, true)))
          .to(table + suffix, Produced.with(Serdes.String(), TradeSettlementPipeline.<Object>jsonOut()));
    }

    // CREATE TABLE SETTLEMENTS_PER_DISPOSITION_PER_MINUTE AS SELECT DISPOSITION, COUNT(*) AS SETTLEMENTS
    //   FROM TRADE_SETTLEMENT WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY DISPOSITION EMIT CHANGES;
    settlements
        .groupBy((k, s) -> s.disposition(), Grouped.with("BY_DISPOSITION", Serdes.String(), Settlement.SERDE))
        .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, GRACE))
        .aggregate(() -> Agg.ZERO, (d, s, agg) -> agg.add(s.amount()),
            Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as("SETTLEMENTS_PER_DISPOSITION_PER_MINUTE")
                .withKeySerde(Serdes.String()).withValueSerde(Agg.SERDE).withRetention(MINUTE.plus(GRACE)))
        .toStream()
        .map((w, agg) -> KeyValue.pair(w.key(), (Object) windowRow("DISPOSITION", w, agg, false)))
        .to("SETTLEMENTS_PER_DISPOSITION_PER_MINUTE" + suffix, Produced.with(Serdes.String(), TradeSettlementPipeline.<Object>jsonOut()));
  }

  static String tableName(String disposition) {
    return disposition.toUpperCase() + "_PER_MINUTE";
  }

  static Map<String, Object> windowRow(String keyColumn, Windowed<String> w, Agg agg, boolean withAmount) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(keyColumn, w.key());
    row.put("WINDOWSTART", w.window().start());
    row.put("WINDOWEND", w.window().end());
    row.put("SETTLEMENTS", agg.count());
    if (withAmount) row.put("TOTAL_AMOUNT", agg.total());
    return row;
  }

  static Map<String, Object> status(KafkaStreams streams) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("state", streams.state().toString());
    out.put("joined", joined.get());
    out.put("skipped", skipped.get());
    out.put("settlementsRead", settlementsRead.get());
    Map<String, Object> tables = new LinkedHashMap<>();
    if (streams.state() == KafkaStreams.State.RUNNING) {
      for (String disposition : DISPOSITIONS) tables.put(tableName(disposition), rows(streams, tableName(disposition), "SYMBOL", true));
      tables.put("SETTLEMENTS_PER_DISPOSITION_PER_MINUTE",
          rows(streams, "SETTLEMENTS_PER_DISPOSITION_PER_MINUTE", "DISPOSITION", false));
    }
    out.put("tables", tables);
    return out;
  }

  static List<Map<String, Object>> rows(KafkaStreams streams, String store, String keyColumn, boolean withAmount) {
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      ReadOnlyWindowStore<String, Agg> windows =
          streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.windowStore()));
      try (KeyValueIterator<Windowed<String>, Agg> all = windows.all()) {
        while (all.hasNext()) {
          KeyValue<Windowed<String>, Agg> entry = all.next();
          rows.add(windowRow(keyColumn, entry.key, entry.value, withAmount));
        }
      }
    } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
      // rebalancing: the next status line has it
    }
    return rows;
  }

  static String required(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null || value.isEmpty()) throw new IllegalArgumentException("missing --" + name + "=...");
    return value;
  }

  /** A settlement's columns as the windows read them (ksqlDB upper-cases Protobuf field names). */
  record Settlement(String symbol, String disposition, double amount) {
    static Settlement of(DynamicMessage m) {
      return new Settlement((String) field(m, "SYMBOL"), (String) field(m, "DISPOSITION"), ((Number) field(m, "AMOUNT")).doubleValue());
    }

    static Object field(DynamicMessage m, String column) {
      for (FieldDescriptor f : m.getDescriptorForType().getFields())
        if (f.getName().equalsIgnoreCase(column)) return m.getField(f);
      throw new SerializationException("the settlement schema has no field " + column);
    }

    static final Serde<Settlement> SERDE = Serdes.serdeFrom(
        (topic, s) -> s == null ? null : jsonBytes(List.of(s.symbol, s.disposition, s.amount)),
        (topic, b) -> {
          if (b == null) return null;
          try {
            JsonNode n = JSON.readTree(b);
            return new Settlement(n.get(0).asText(), n.get(1).asText(), n.get(2).asDouble());
          } catch (java.io.IOException e) {
            throw new SerializationException(e);
          }
        });
  }

  /** COUNT(*) and SUM(AMOUNT) of one window. */
  record Agg(long count, double total) {
    static final Agg ZERO = new Agg(0, 0);

    Agg add(double amount) {
      return new Agg(count + 1, total + amount);
    }

    static final Serde<Agg> SERDE = Serdes.serdeFrom(
        (topic, a) -> a == null ? null : ByteBuffer.allocate(16).putLong(a.count).putDouble(a.total).array(),
        (topic, b) -> {
          if (b == null) return null;
          ByteBuffer buffer = ByteBuffer.wrap(b);
          return new Agg(buffer.getLong(), buffer.getDouble());
        });
  }

  enum Type { VARCHAR, INT, BIGINT }

  /**
   * VALUE_FORMAT = 'JSON' for declared columns: field names match case-insensitively (datagen writes
   * lower case), a missing field is null, a value of the wrong type fails the record as ksqlDB does.
   */
  static Serde<Map<String, Object>> jsonRow(Map<String, Type> columns) {
    Deserializer<Map<String, Object>> read = (topic, bytes) -> {
      if (bytes == null) return null;
      JsonNode node;
      try {
        node = JSON.readTree(bytes);
      } catch (java.io.IOException e) {
        throw new SerializationException("not JSON: " + e.getMessage());
      }
      if (node == null || !node.isObject()) throw new SerializationException("not a JSON object");
      Map<String, JsonNode> fields = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var field = it.next();
        fields.put(field.getKey().toUpperCase(), field.getValue());
      }
      Map<String, Object> row = new LinkedHashMap<>();
      columns.forEach((name, type) -> {
        JsonNode value = fields.get(name);
        if (value == null || value.isNull()) {
          row.put(name, null);
          return;
        }
        switch (type) {
          case VARCHAR -> row.put(name, value.isValueNode() ? value.asText() : value.toString());
          case INT -> {
            if (!value.canConvertToInt() || !value.isIntegralNumber()) throw new SerializationException(name + " is not an INT");
            row.put(name, value.intValue());
          }
          case BIGINT -> {
            if (!value.canConvertToLong() || !value.isIntegralNumber()) throw new SerializationException(name + " is not a BIGINT");
            row.put(name, value.longValue());
          }
        }
      });
      return row;
    };
    return Serdes.serdeFrom((topic, row) -> row == null ? null : jsonBytes(row), read);
  }

  static <T> Serde<T> jsonOut() {
    Serializer<T> write = (topic, value) -> value == null ? null : jsonBytes(value);
    return Serdes.serdeFrom(write, (topic, bytes) -> {
      throw new UnsupportedOperationException("write-only");
    });
  }

  static byte[] jsonBytes(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (Exception e) {
      throw new SerializationException(e);
    }
  }

  /** Skips a record that does not deserialize (ksqlDB's processing log), counting it for the status line. */
  public static final class SkipAndCount implements DeserializationExceptionHandler {
    @Override
    public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception e) {
      skipped.incrementAndGet();
      System.err.println("skipped " + context.topic() + "-" + context.partition() + "@" + context.offset() + ": " + e.getMessage());
      return DeserializationHandlerResponse.CONTINUE;
    }

    @Override
    public void configure(Map<String, ?> configs) {}
  }
}
