package settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Protobuf in the Confluent wire format through a Confluent-compatible Schema Registry, as
 * Confluent's KafkaProtobufDeserializer does without a generated class (which is not on Maven Central):
 * {@code 0x00}, the schema id (int32 big-endian), the message indexes (zigzag varint count, then the
 * zigzag varint indexes; a single {@code 0x00} means [0]), then the message bytes.
 *
 * <p>The writer's schema is fetched once per id ({@code GET /schemas/ids/{id}}), compiled to a
 * descriptor by protoc (from Maven Central: protobuf-java cannot parse .proto text), and the message
 * decoded as a {@link DynamicMessage}: the reader knows field names, not a compiled class, as ksqlDB does.
 * Schemas with references (imports) are refused: the example's has none.
 */
public final class RegistryProtobufDeserializer implements Deserializer<DynamicMessage> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String registryUrl;
  private final String protoc;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<Integer, FileDescriptor> schemas = new ConcurrentHashMap<>();

  public RegistryProtobufDeserializer(String registryUrl, String protoc) {
    this.registryUrl = registryUrl.replaceAll("/+$", "");
    this.protoc = protoc;
  }

  @Override
  public DynamicMessage deserialize(String topic, byte[] data) {
    if (data == null) return null;
    ByteBuffer buffer = ByteBuffer.wrap(data);
    try {
      byte magic = buffer.get();
      if (magic != 0) throw new SerializationException("unknown magic byte " + magic + " (not the Confluent wire format)");
      int id = buffer.getInt();
      int count = readZigzagVarint(buffer);
      int[] indexes = count == 0 ? new int[] {0} : new int[count];
      for (int i = 0; i < count; i++) indexes[i] = readZigzagVarint(buffer);
      FileDescriptor file = schemas.computeIfAbsent(id, this::fetch);
      if (indexes[0] >= file.getMessageTypes().size()) throw new SerializationException("message index " + indexes[0] + " not in schema " + id);
      Descriptor type = file.getMessageTypes().get(indexes[0]);
      for (int i = 1; i < indexes.length; i++) type = type.getNestedTypes().get(indexes[i]);
      return DynamicMessage.parseFrom(type, Arrays.copyOfRange(data, buffer.position(), data.length));
    } catch (SerializationException e) {
      throw e;
    } catch (Exception e) {
      throw new SerializationException("cannot decode a Protobuf record of " + topic + ": " + e.getMessage(), e);
    }
  }

  private static int readZigzagVarint(ByteBuffer buffer) {
    int value = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      byte b = buffer.get();
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return (value >>> 1) ^ -(value & 1);
    }
    throw new SerializationException("malformed varint in the message indexes");
  }

  private FileDescriptor fetch(int id) {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + id))
          .header("Accept", "application/vnd.schemaregistry.v1+json")
          .timeout(Duration.ofSeconds(10))
          .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200)
        throw new SerializationException("schema " + id + ": registry answered " + response.statusCode() + " " + response.body());
      JsonNode body = JSON.readTree(response.body());
      String type = body.path("schemaType").asText("AVRO");
      if (!"PROTOBUF".equals(type)) throw new SerializationException("schema " + id + " is " + type + ", not PROTOBUF");
      if (body.path("references").size() > 0)
        throw new SerializationException("schema " + id + " has references, which this reader does not resolve");
      return compile(id, body.path("schema").asText());
    } catch (IOException e) {
      throw new SerializationException("schema " + id + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SerializationException("interrupted while fetching schema " + id, e);
    }
  }

  /** protoc --descriptor_set_out on the schema text; then the descriptor protobuf-java decodes with. */
  private FileDescriptor compile(int id, String schema) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("schema-" + id + "-");
    try {
      Path proto = dir.resolve("schema_" + id + ".proto");
      Path out = dir.resolve("schema.desc");
      Files.writeString(proto, schema, StandardCharsets.UTF_8);
      Process process = new ProcessBuilder(protoc, "-I" + dir, "--descriptor_set_out=" + out, proto.getFileName().toString())
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) throw new SerializationException("protoc refused schema " + id + ": " + output.trim());
      FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(out));
      Map<String, FileDescriptor> built = new HashMap<>();
      FileDescriptor last = null;
      for (FileDescriptorProto file : set.getFileList()) {
        FileDescriptor[] deps = file.getDependencyList().stream().map(built::get).toArray(FileDescriptor[]::new);
        last = FileDescriptor.buildFrom(file, deps);
        built.put(file.getName(), last);
      }
      return last;
    } catch (com.google.protobuf.Descriptors.DescriptorValidationException e) {
      throw new SerializationException("schema " + id + ": " + e.getMessage(), e);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
