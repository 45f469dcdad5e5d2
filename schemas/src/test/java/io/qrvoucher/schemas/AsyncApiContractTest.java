package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.qrvoucher.avro.VoucherEvent;

/**
 * docs/asyncapi.yaml is what downstream systems build on. It is held here to the Avro schema of every
 * public topic, so that a schema change the file does not show fails the build.
 */
class AsyncApiContractTest {

    /** The public topics, each with the record it carries. */
    private static final Map<String, Schema> PUBLIC_TOPICS = Map.of("voucher-events", VoucherEvent.getClassSchema());

    /** The build runs in the module's directory. */
    private static final Path ASYNCAPI = Path.of("..", "docs", "asyncapi.yaml");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode document;

    @BeforeAll
    static void readDocument() throws IOException {
        document = new ObjectMapper(new YAMLFactory()).readTree(ASYNCAPI.toFile());
    }

    @Test
    void isAnAsyncApi3Document() {
        assertThat(document.path("asyncapi").asText()).startsWith("3.");
    }

    @Test
    void describesEveryPublicTopicAndNoOtherTopic() {
        List<String> addresses = new ArrayList<>();
        document.path("channels").forEach(channel -> addresses.add(channel.path("address").asText()));

        assertThat(addresses).containsExactlyInAnyOrderElementsOf(PUBLIC_TOPICS.keySet());
    }

    @Test
    void voucherEventsAreKeyedByTheVoucherId() {
        JsonNode key = message("voucher-events").at("/bindings/kafka/key");

        assertThat(key.path("type").asText()).isEqualTo("string");
        assertThat(key.path("description").asText()).startsWith("The voucher id");
    }

    @Test
    void thePayloadOfEachPublicTopicIsTheAvroSchemaOfItsRecord() throws IOException {
        for (Map.Entry<String, Schema> topic : PUBLIC_TOPICS.entrySet()) {
            JsonNode payload = message(topic.getKey()).path("payload");
            Schema documented = new Schema.Parser().parse(payload.path("schema").toString());

            assertThat(payload.path("schemaFormat").asText()).startsWith("application/vnd.apache.avro");
            assertThat(whatAReaderDependsOn(documented))
                    .as("The payload of %s in docs/asyncapi.yaml (docs aside) must be the schema of %s",
                            topic.getKey(), topic.getValue().getFullName())
                    .isEqualTo(whatAReaderDependsOn(topic.getValue()));
        }
    }

    @Test
    void theExamplesOfEachPublicTopicShowEveryField() {
        for (Map.Entry<String, Schema> topic : PUBLIC_TOPICS.entrySet()) {
            JsonNode examples = message(topic.getKey()).path("examples");
            assertThat(examples).as("examples of %s", topic.getKey()).isNotEmpty();
            examples.forEach(example -> assertShowsEveryField(example.path("payload"), topic.getValue(),
                    topic.getKey() + " example " + example.path("name").asText()));
        }
    }

    /** The one message of the channel with this address, its reference followed. */
    private static JsonNode message(String address) {
        for (JsonNode channel : document.path("channels")) {
            if (channel.path("address").asText().equals(address)) {
                assertThat(channel.path("messages")).as("messages of %s", address).hasSize(1);
                return resolve(channel.path("messages").elements().next());
            }
        }
        throw new AssertionError("docs/asyncapi.yaml has no channel " + address);
    }

    private static JsonNode resolve(JsonNode node) {
        return node.has("$ref") ? document.at(node.get("$ref").asText().substring(1)) : node;
    }

    /**
     * The schema as Avro prints it, without its docs and without the Java-only {@code avro.java.string}
     * the generated classes carry: names, aliases, types, logical types, defaults and enum symbols.
     */
    private static String whatAReaderDependsOn(Schema schema) throws IOException {
        return withoutDocs(JSON.readTree(schema.toString())).toPrettyString();
    }

    private static JsonNode withoutDocs(JsonNode node) {
        if (node.isArray()) {
            ArrayNode copy = JSON.createArrayNode();
            node.forEach(item -> copy.add(withoutDocs(item)));
            return copy;
        }
        if (node.isObject()) {
            ObjectNode copy = JSON.createObjectNode();
            node.properties().forEach(property -> {
                if (!property.getKey().equals("doc") && !property.getKey().equals("avro.java.string")) {
                    copy.set(property.getKey(), withoutDocs(property.getValue()));
                }
            });
            // {"type": "string"}, once its properties are gone, is "string".
            return copy.size() == 1 && copy.path("type").isTextual() ? copy.get("type") : copy;
        }
        return node;
    }

    private static void assertShowsEveryField(JsonNode value, Schema record, String where) {
        List<String> shown = new ArrayList<>();
        value.fieldNames().forEachRemaining(shown::add);
        assertThat(shown).as(where).containsExactlyElementsOf(record.getFields().stream().map(Schema.Field::name).toList());
        for (Schema.Field field : record.getFields()) {
            List<Schema> records = (field.schema().isUnion() ? field.schema().getTypes() : List.of(field.schema())).stream()
                    .filter(type -> type.getType() == Schema.Type.RECORD)
                    .toList();
            // Which branch of a union of several records an example shows is not for this test to guess.
            if (value.path(field.name()).isObject() && records.size() == 1) {
                assertShowsEveryField(value.path(field.name()), records.get(0), where + "." + field.name());
            }
        }
    }
}
