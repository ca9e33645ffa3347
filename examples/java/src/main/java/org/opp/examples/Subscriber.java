package org.opp.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An example subscriber of another university system: the partners and agreements the platform knows.
 *
 * <p>What docs/subscribing.md says, with Apache Kafka's Java client:
 *
 * <ol>
 *   <li>read the state topics (partners.partner.state, partners.agreement.state) from the beginning up to
 *       their end offsets, keeping per aggregate the newest sequence and state;
 *   <li>then consume the event topics with a consumer group of its own, from the beginning or from its
 *       committed offsets, applying an event only when its sequence is newer than what it holds (which also
 *       drops duplicates);
 *   <li>print the partners and agreements it knows once it has caught up (--until-caught-up).
 * </ol>
 *
 * <p>It takes only the event types and dataschema versions it was written for, and ignores fields it does
 * not use. Each record's value is a CloudEvents envelope in structured mode (JSON).
 */
public final class Subscriber {
  private static final List<String> TOPICS = List.of("partners.partner", "partners.agreement");
  private static final Set<Integer> KNOWN_VERSIONS = Set.of(1);
  private static final Pattern SCHEMA = Pattern.compile("^urn:opp:event-schema:([a-z_.]+):([0-9]+)$");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Per topic: aggregate id -> (sequence, state). */
  private final Map<String, Map<String, Held>> known = new HashMap<>();

  private int applied;
  private int dropped;

  private record Held(long sequence, JsonNode state) {}

  private Subscriber() {
    for (String topic : TOPICS) {
      known.put(topic, new HashMap<>());
    }
  }

  void apply(String topic, byte[] key, byte[] value) throws Exception {
    if (value == null) { // a tombstone on a state topic: the aggregate was deleted
      known.get(topic).remove(new String(key, java.nio.charset.StandardCharsets.UTF_8));
      return;
    }
    JsonNode event = JSON.readTree(value);
    Matcher schema = SCHEMA.matcher(event.path("dataschema").asText(""));
    String owner = "/opp/" + topic.substring(0, topic.indexOf('.'));
    if (!owner.equals(event.path("source").asText())
        || !event.path("type").asText().startsWith(topic + ".")
        || !schema.matches()
        || !KNOWN_VERSIONS.contains(Integer.parseInt(schema.group(2)))) {
      dropped++; // not from the topic's owner, or a type or version this code does not know
      return;
    }
    String subject = event.path("subject").asText();
    long sequence = event.path("sequence").asLong();
    Held held = known.get(topic).get(subject);
    if (held != null && held.sequence() >= sequence) {
      dropped++; // a duplicate, or older than what it holds
      return;
    }
    known.get(topic).put(subject, new Held(sequence, event.path("data").path("state")));
    applied++;
  }

  private static List<TopicPartition> partitionsOf(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<TopicPartition> found = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
      found.add(new TopicPartition(topic, info.partition()));
    }
    return found;
  }

  /** Step 1: every state topic read to the end offsets it had when this step began. */
  void bootstrap(Properties config, String namespace) throws Exception {
    try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(config)) {
      for (String topic : TOPICS) {
        List<TopicPartition> partitions = partitionsOf(reader, namespace + topic + ".state");
        Map<TopicPartition, Long> ends = reader.endOffsets(partitions);
        reader.assign(partitions);
        reader.seekToBeginning(partitions);
        while (partitions.stream().anyMatch(tp -> reader.position(tp) < ends.get(tp))) {
          for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
            if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
              apply(topic, record.key(), record.value());
            }
          }
        }
      }
    }
  }

  /** Step 2: the event topics with the subscriber's own group, committing after applying. */
  void follow(Properties config, String namespace, String group, boolean untilCaughtUp) throws Exception {
    Properties grouped = new Properties();
    grouped.putAll(config);
    grouped.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    grouped.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> topics = TOPICS.stream().map(t -> namespace + t).toList();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(grouped)) {
      consumer.subscribe(topics);
      long quietSince = System.nanoTime();
      while (true) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          apply(record.topic().substring(namespace.length()), record.key(), record.value());
        }
        if (!records.isEmpty()) {
          consumer.commitSync();
          quietSince = System.nanoTime();
        } else if (untilCaughtUp
            && System.nanoTime() - quietSince > Duration.ofSeconds(2).toNanos()
            && caughtUp(consumer)) {
          return;
        }
      }
    }
  }

  private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer) {
    Set<TopicPartition> assigned = new HashSet<>(consumer.assignment());
    if (assigned.isEmpty()) {
      return false;
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
    return assigned.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
  }

  ObjectNode picture() {
    ObjectNode picture = JSON.createObjectNode();
    ObjectNode partners = picture.putObject("partners");
    new TreeMap<>(known.get("partners.partner"))
        .forEach(
            (id, held) -> {
              ObjectNode p = partners.putObject(id);
              p.set("name", held.state().path("name"));
              p.set("country", held.state().path("country"));
              p.set("status", held.state().path("status"));
              p.put("version", held.sequence());
            });
    ObjectNode agreements = picture.putObject("agreements");
    new TreeMap<>(known.get("partners.agreement"))
        .forEach(
            (id, held) -> {
              ObjectNode a = agreements.putObject(id);
              a.set("title", held.state().path("title"));
              a.set("status", held.state().path("status"));
              a.set("partner_ids", held.state().path("partner_ids"));
              a.put("version", held.sequence());
            });
    return picture;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>(Map.of("--bootstrap", "127.0.0.1:9092", "--namespace", ""));
    Set<String> flags = new HashSet<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--until-caught-up") || args[i].equals("--json")) {
        flags.add(args[i]);
      } else if (i + 1 < args.length) {
        options.put(args[i], args[++i]);
      }
    }
    String group = options.get("--group");
    if (group == null) {
      System.err.println(
          "usage: Subscriber --group GROUP [--bootstrap HOST:PORT] [--namespace NS.] [--until-caught-up] [--json]"
              + " [--username NAME [--security-protocol SASL_PLAINTEXT|SASL_SSL]] (password in KAFKA_PASSWORD)");
      System.exit(2);
    }
    String namespace = options.get("--namespace");
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("--bootstrap"));
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-example");
    // A broker with logins: SASL/SCRAM-SHA-512 as --username, the password from KAFKA_PASSWORD (not
    // on the command line); the group must then start with the principal's name and a dot.
    String username = options.get("--username");
    if (username != null) {
      String password = System.getenv("KAFKA_PASSWORD");
      if (password == null || password.isEmpty()) {
        System.err.println("--username needs the password in the KAFKA_PASSWORD variable");
        System.exit(2);
      }
      config.put("security.protocol", options.getOrDefault("--security-protocol", "SASL_PLAINTEXT"));
      config.put("sasl.mechanism", "SCRAM-SHA-512");
      config.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
              + username
              + "\" password=\""
              + password.replace("\\", "\\\\").replace("\"", "\\\"")
              + "\";");
    }
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    Subscriber subscriber = new Subscriber();
    long started = System.nanoTime();
    subscriber.bootstrap(config, namespace);
    Map<String, Integer> counts = new TreeMap<>();
    subscriber.known.forEach((topic, held) -> counts.put(topic, held.size()));
    System.err.printf(
        "bootstrapped %s from the state topics in %.2f s%n", counts, (System.nanoTime() - started) / 1e9);
    subscriber.follow(config, namespace, group, flags.contains("--until-caught-up"));
    System.err.printf("applied %d records, dropped %d%n", subscriber.applied, subscriber.dropped);
    ObjectNode picture = subscriber.picture();
    if (flags.contains("--json")) {
      System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(picture));
    } else {
      picture.path("partners").fields().forEachRemaining(
          e -> System.out.printf("partner   %s  %s (%s), %s%n", e.getKey(),
              e.getValue().path("name").asText(), e.getValue().path("country").asText(),
              e.getValue().path("status").asText()));
      picture.path("agreements").fields().forEachRemaining(
          e -> System.out.printf("agreement %s  %s, %s%n", e.getKey(),
              e.getValue().path("title").asText(), e.getValue().path("status").asText()));
    }
  }
}
