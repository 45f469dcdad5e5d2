package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherView;

/**
 * The compatibility gate, run by every build.
 * <ul>
 * <li>Backward, for every record on a topic: its current schema reads every schema it has been
 * written with. Our readers are deployed before our writers, so an upgraded reader meets old values;
 * a new field needs a default, a renamed field an alias.</li>
 * <li>Forward, for the public {@code voucher-events}: a subscriber's reader of any earlier version
 * reads the events written today (given today's writer schema). Subscribers are not ours to upgrade.
 * So a field may be added, never removed, renamed or retyped; an enum may gain a symbol only if
 * readers give it a default, which resolution then reads in its place: {@code VoucherEventType}
 * defaults to {@code UNKNOWN}, but {@code VoucherStatus} and {@code HoldState} have no default and
 * may gain none.</li>
 * </ul>
 * The tests that build a deliberately incompatible next version show that the gate bites.
 */
class SchemaCompatibilityTest {

    private static final String EVENT = "io.qrvoucher.avro.VoucherEvent";

    /**
     * What readers of each earlier VoucherEvent cannot read today, by version. #15 replaced the
     * voucher's VoucherState by VoucherView, dropping the code hash that let a reader of the topic
     * redeem the voucher; readers of v1 and v2 lack that union branch and had to upgrade. Nothing else
     * may break them, and no other version may be broken at all.
     */
    private static final Map<Integer, List<String>> ACCEPTED_BREAKS_FOR_SUBSCRIBERS = Map.of(
            // /fields/7 is their voucher.
            1, List.of("MISSING_UNION_BRANCH at /fields/7/type/1"),
            2, List.of("MISSING_UNION_BRANCH at /fields/7/type/1"));

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyRecordReadsEverySchemaItHasBeenWrittenWith() {
        List<String> problems = new ArrayList<>();
        for (TopicRecords.Versions record : TopicRecords.ALL) {
            Schema current = record.current();
            unreadableHistory(current, SchemaHistory.versionsBefore(current.getFullName()))
                    .forEach(problem -> problems.add(current.getFullName() + " " + problem));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void subscribersOfEveryEarlierVersionReadTodaysEvents() {
        assertThat(unreadableByEarlierReaders(SchemaHistory.versionsBefore(EVENT), VoucherEvent.getClassSchema()))
                .isEqualTo(ACCEPTED_BREAKS_FOR_SUBSCRIBERS);
    }

    @Test
    void aFieldRemovedBreaksSubscribersThoughOurUpgradedReadersCope() {
        Schema next = variant(VoucherEvent.getClassSchema(), event -> fields(event).remove(0));

        assertThat(unreadableHistory(next, List.of(VoucherEvent.getClassSchema()))).isEmpty();
        assertThat(unreadableByEarlierReaders(List.of(VoucherEvent.getClassSchema()), next))
                .isEqualTo(Map.of(1, List.of("READER_FIELD_MISSING_DEFAULT_VALUE at " + eventField("eventId"))));
    }

    @Test
    void aFieldRenamedWithoutAliasBreaksReadersOfOldValues() {
        Schema next = variant(VoucherEvent.getClassSchema(), event -> field(event, "occurredAt").put("name", "happenedAt"));

        assertThat(unreadableHistory(next, List.of(VoucherEvent.getClassSchema())))
                .containsExactly("v1: READER_FIELD_MISSING_DEFAULT_VALUE at " + eventField("occurredAt"));
    }

    @Test
    void anAliasLetsOurReadersFollowARenameButNotSubscribers() {
        Schema next = variant(VoucherEvent.getClassSchema(), event -> field(event, "occurredAt")
                .put("name", "happenedAt").set("aliases", JSON.createArrayNode().add("occurredAt")));

        assertThat(unreadableHistory(next, List.of(VoucherEvent.getClassSchema()))).isEmpty();
        assertThat(unreadableByEarlierReaders(List.of(VoucherEvent.getClassSchema()), next))
                .isEqualTo(Map.of(1, List.of("READER_FIELD_MISSING_DEFAULT_VALUE at " + eventField("occurredAt"))));
    }

    @Test
    void aFieldAddedWithoutDefaultBreaksReadersOfOldValues() {
        Schema next = variant(LedgerResult.getClassSchema(), result -> fields(result)
                .add(JSON.createObjectNode().put("name", "ledgerEntryId").put("type", "string")));

        assertThat(unreadableHistory(next, List.of(LedgerResult.getClassSchema())))
                .containsExactly("v1: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/" + LedgerResult.getClassSchema().getFields().size());
    }

    @Test
    void anEventTypeMayBeAddedForSubscribersDefaultToUnknown() {
        Schema next = variant(VoucherEvent.getClassSchema(),
                event -> ((ArrayNode) field(event, "type").get("type").get("symbols")).add("REFUNDED"));

        assertThat(unreadableHistory(next, List.of(VoucherEvent.getClassSchema()))).isEmpty();
        assertThat(unreadableByEarlierReaders(List.of(VoucherEvent.getClassSchema()), next)).isEmpty();
    }

    @Test
    void aVoucherStatusAddedBreaksSubscribersForTheEnumHasNoDefault() {
        Consumer<ObjectNode> addStatus = view -> ((ArrayNode) field(view, "status").get("type").get("symbols")).add("ON_HOLD");
        Schema next = variant(VoucherEvent.getClassSchema(),
                event -> addStatus.accept((ObjectNode) field(event, "voucher").get("type").get(1)));

        // Within the event, the nullable voucher's union reports the branch it cannot match;
        // the view itself shows why.
        assertThat(unreadableByEarlierReaders(List.of(VoucherEvent.getClassSchema()), next))
                .isEqualTo(Map.of(1, List.of("MISSING_UNION_BRANCH at " + eventField("voucher") + "/type/1")));
        assertThat(unreadableByEarlierReaders(List.of(VoucherView.getClassSchema()), variant(VoucherView.getClassSchema(), addStatus)))
                .isEqualTo(Map.of(1, List.of("MISSING_ENUM_SYMBOLS at /fields/" + VoucherView.getClassSchema().getField("status").pos() + "/type/symbols")));
    }

    /** Where a field of today's VoucherEvent is, as a compatibility check locates it. */
    private static String eventField(String name) {
        return "/fields/" + VoucherEvent.getClassSchema().getField(name).pos();
    }

    /** The backward rule: what {@code current} cannot read of each earlier schema, as "v<N>: ...". */
    private static List<String> unreadableHistory(Schema current, List<Schema> history) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            for (String problem : incompatibilities(current, history.get(i))) {
                problems.add("v" + (i + 1) + ": " + problem);
            }
        }
        return problems;
    }

    /** The forward rule: what the reader of each earlier version cannot read of {@code current}, by version. */
    private static Map<Integer, List<String>> unreadableByEarlierReaders(List<Schema> history, Schema current) {
        Map<Integer, List<String>> problems = new LinkedHashMap<>();
        for (int i = 0; i < history.size(); i++) {
            List<String> found = incompatibilities(history.get(i), current);
            if (!found.isEmpty()) {
                problems.put(i + 1, found);
            }
        }
        return problems;
    }

    private static List<String> incompatibilities(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult().getIncompatibilities().stream()
                .map(incompatibility -> incompatibility.getType() + " at " + incompatibility.getLocation())
                .toList();
    }

    /** A next version of a schema: the current one with one edit of its JSON. */
    private static Schema variant(Schema current, Consumer<ObjectNode> edit) {
        try {
            ObjectNode json = (ObjectNode) JSON.readTree(current.toString());
            edit.accept(json);
            return new Schema.Parser().parse(json.toString());
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static ArrayNode fields(ObjectNode record) {
        return (ArrayNode) record.get("fields");
    }

    private static ObjectNode field(ObjectNode record, String name) {
        for (var field : fields(record)) {
            if (field.get("name").asText().equals(name)) {
                return (ObjectNode) field;
            }
        }
        throw new AssertionError("No field " + name + " in " + record.get("name"));
    }
}
