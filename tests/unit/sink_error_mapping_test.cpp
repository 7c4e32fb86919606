// The two error-classification tables of the sinks (storage/pg_connection.hpp,
// storage/sqlite_database.hpp), exhaustively: every SQLSTATE of PostgreSQL 15's
// errcodes.txt (error codes, class E) and every SQLite primary and extended result code of
// sqlite3.h, each with the class the replicator must see. Unknown codes are availability
// failures (pause, reconnect), never blamed on a claim.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>

#include "rpc/status.hpp"
#include "storage/pg_connection.hpp"
#include "storage/sqlite_database.hpp"

namespace {

using claimsync::ErrorCode;
constexpr ErrorCode kU = ErrorCode::kUnavailable;         // pause, reconnect, no attempt
constexpr ErrorCode kT = ErrorCode::kTimeout;             // pause, no attempt
constexpr ErrorCode kC = ErrorCode::kInvalidArgument;     // this claim's data: attempt
constexpr ErrorCode kS = ErrorCode::kFailedPrecondition;  // schema broken: pause
constexpr ErrorCode kX = ErrorCode::kCorruption;          // the file is damaged

struct PgCase {
  const char* sqlstate;
  ErrorCode expected;
};

// PostgreSQL 15 /usr/share/postgresql/15/errcodes.txt, every error (E) code.
const PgCase kPgCases[] = {
    {"03000", kU},  // sql_statement_not_yet_complete
    {"08000", kU},  // connection_exception
    {"08003", kU},  // connection_does_not_exist
    {"08006", kU},  // connection_failure
    {"08001", kU},  // sqlclient_unable_to_establish_sqlconnection
    {"08004", kU},  // sqlserver_rejected_establishment_of_sqlconnection
    {"08007", kU},  // transaction_resolution_unknown
    {"08P01", kU},  // protocol_violation
    {"09000", kU},  // triggered_action_exception
    {"0A000", kS},  // feature_not_supported
    {"0B000", kU},  // invalid_transaction_initiation
    {"0F000", kU},  // locator_exception
    {"0F001", kU},  // invalid_locator_specification
    {"0L000", kU},  // invalid_grantor
    {"0LP01", kU},  // invalid_grant_operation
    {"0P000", kU},  // invalid_role_specification
    {"0Z000", kU},  // diagnostics_exception
    {"0Z002", kU},  // stacked_diagnostics_accessed_without_active_handler
    {"20000", kU},  // case_not_found
    {"21000", kU},  // cardinality_violation
    {"22000", kC},  // data_exception
    {"2202E", kC},  //
    {"2202E", kC},  // array_subscript_error
    {"22021", kC},  // character_not_in_repertoire
    {"22008", kC},  // datetime_field_overflow
    {"22008", kC},  //
    {"22012", kC},  // division_by_zero
    {"22005", kC},  // error_in_assignment
    {"2200B", kC},  // escape_character_conflict
    {"22022", kC},  // indicator_overflow
    {"22015", kC},  // interval_field_overflow
    {"2201E", kC},  // invalid_argument_for_logarithm
    {"22014", kC},  // invalid_argument_for_ntile_function
    {"22016", kC},  // invalid_argument_for_nth_value_function
    {"2201F", kC},  // invalid_argument_for_power_function
    {"2201G", kC},  // invalid_argument_for_width_bucket_function
    {"22018", kC},  // invalid_character_value_for_cast
    {"22007", kC},  // invalid_datetime_format
    {"22019", kC},  // invalid_escape_character
    {"2200D", kC},  // invalid_escape_octet
    {"22025", kC},  // invalid_escape_sequence
    {"22P06", kC},  // nonstandard_use_of_escape_character
    {"22010", kC},  // invalid_indicator_parameter_value
    {"22023", kC},  // invalid_parameter_value
    {"22013", kC},  // invalid_preceding_or_following_size
    {"2201B", kC},  // invalid_regular_expression
    {"2201W", kC},  // invalid_row_count_in_limit_clause
    {"2201X", kC},  // invalid_row_count_in_result_offset_clause
    {"2202H", kC},  // invalid_tablesample_argument
    {"2202G", kC},  // invalid_tablesample_repeat
    {"22009", kC},  // invalid_time_zone_displacement_value
    {"2200C", kC},  // invalid_use_of_escape_character
    {"2200G", kC},  // most_specific_type_mismatch
    {"22004", kC},  // null_value_not_allowed
    {"22002", kC},  // null_value_no_indicator_parameter
    {"22003", kC},  // numeric_value_out_of_range
    {"2200H", kC},  // sequence_generator_limit_exceeded
    {"22026", kC},  // string_data_length_mismatch
    {"22001", kC},  // string_data_right_truncation
    {"22011", kC},  // substring_error
    {"22027", kC},  // trim_error
    {"22024", kC},  // unterminated_c_string
    {"2200F", kC},  // zero_length_character_string
    {"22P01", kC},  // floating_point_exception
    {"22P02", kC},  // invalid_text_representation
    {"22P03", kC},  // invalid_binary_representation
    {"22P04", kC},  // bad_copy_file_format
    {"22P05", kC},  // untranslatable_character
    {"2200L", kC},  // not_an_xml_document
    {"2200M", kC},  // invalid_xml_document
    {"2200N", kC},  // invalid_xml_content
    {"2200S", kC},  // invalid_xml_comment
    {"2200T", kC},  // invalid_xml_processing_instruction
    {"22030", kC},  // duplicate_json_object_key_value
    {"22031", kC},  // invalid_argument_for_sql_json_datetime_function
    {"22032", kC},  // invalid_json_text
    {"22033", kC},  // invalid_sql_json_subscript
    {"22034", kC},  // more_than_one_sql_json_item
    {"22035", kC},  // no_sql_json_item
    {"22036", kC},  // non_numeric_sql_json_item
    {"22037", kC},  // non_unique_keys_in_a_json_object
    {"22038", kC},  // singleton_sql_json_item_required
    {"22039", kC},  // sql_json_array_not_found
    {"2203A", kC},  // sql_json_member_not_found
    {"2203B", kC},  // sql_json_number_not_found
    {"2203C", kC},  // sql_json_object_not_found
    {"2203D", kC},  // too_many_json_array_elements
    {"2203E", kC},  // too_many_json_object_members
    {"2203F", kC},  // sql_json_scalar_required
    {"2203G", kC},  // sql_json_item_cannot_be_cast_to_target_type
    {"23000", kC},  // integrity_constraint_violation
    {"23001", kC},  // restrict_violation
    {"23502", kC},  // not_null_violation
    {"23503", kC},  // foreign_key_violation
    {"23505", kC},  // unique_violation
    {"23514", kC},  // check_violation
    {"23P01", kC},  // exclusion_violation
    {"24000", kU},  // invalid_cursor_state
    {"25000", kU},  // invalid_transaction_state
    {"25001", kU},  // active_sql_transaction
    {"25002", kU},  // branch_transaction_already_active
    {"25008", kU},  // held_cursor_requires_same_isolation_level
    {"25003", kU},  // inappropriate_access_mode_for_branch_transaction
    {"25004", kU},  // inappropriate_isolation_level_for_branch_transaction
    {"25005", kU},  // no_active_sql_transaction_for_branch_transaction
    {"25006", kU},  // read_only_sql_transaction
    {"25007", kU},  // schema_and_data_statement_mixing_not_supported
    {"25P01", kU},  // no_active_sql_transaction
    {"25P02", kU},  // in_failed_sql_transaction
    {"25P03", kU},  // idle_in_transaction_session_timeout
    {"26000", kU},  // invalid_sql_statement_name
    {"27000", kU},  // triggered_data_change_violation
    {"28000", kU},  // invalid_authorization_specification
    {"28P01", kU},  // invalid_password
    {"2B000", kU},  // dependent_privilege_descriptors_still_exist
    {"2BP01", kU},  // dependent_objects_still_exist
    {"2D000", kU},  // invalid_transaction_termination
    {"2F000", kU},  // sql_routine_exception
    {"2F005", kU},  // function_executed_no_return_statement
    {"2F002", kU},  // modifying_sql_data_not_permitted
    {"2F003", kU},  // prohibited_sql_statement_attempted
    {"2F004", kU},  // reading_sql_data_not_permitted
    {"34000", kU},  // invalid_cursor_name
    {"38000", kU},  // external_routine_exception
    {"38001", kU},  // containing_sql_not_permitted
    {"38002", kU},  // modifying_sql_data_not_permitted
    {"38003", kU},  // prohibited_sql_statement_attempted
    {"38004", kU},  // reading_sql_data_not_permitted
    {"39000", kU},  // external_routine_invocation_exception
    {"39001", kU},  // invalid_sqlstate_returned
    {"39004", kU},  // null_value_not_allowed
    {"39P01", kU},  // trigger_protocol_violated
    {"39P02", kU},  // srf_protocol_violated
    {"39P03", kU},  // event_trigger_protocol_violated
    {"3B000", kU},  // savepoint_exception
    {"3B001", kU},  // invalid_savepoint_specification
    {"3D000", kU},  // invalid_catalog_name
    {"3F000", kS},  // invalid_schema_name
    {"40000", kU},  // transaction_rollback
    {"40002", kU},  // transaction_integrity_constraint_violation
    {"40001", kU},  // serialization_failure
    {"40003", kU},  // statement_completion_unknown
    {"40P01", kU},  // deadlock_detected
    {"42000", kS},  // syntax_error_or_access_rule_violation
    {"42601", kS},  // syntax_error
    {"42501", kS},  // insufficient_privilege
    {"42846", kS},  // cannot_coerce
    {"42803", kS},  // grouping_error
    {"42P20", kS},  // windowing_error
    {"42P19", kS},  // invalid_recursion
    {"42830", kS},  // invalid_foreign_key
    {"42602", kS},  // invalid_name
    {"42622", kS},  // name_too_long
    {"42939", kS},  // reserved_name
    {"42804", kS},  // datatype_mismatch
    {"42P18", kS},  // indeterminate_datatype
    {"42P21", kS},  // collation_mismatch
    {"42P22", kS},  // indeterminate_collation
    {"42809", kS},  // wrong_object_type
    {"428C9", kS},  // generated_always
    {"42703", kS},  // undefined_column
    {"34000", kU},  //
    {"3D000", kU},  //
    {"42883", kS},  // undefined_function
    {"26000", kU},  //
    {"3F000", kS},  //
    {"42P01", kS},  // undefined_table
    {"42P02", kS},  // undefined_parameter
    {"42704", kS},  // undefined_object
    {"42701", kS},  // duplicate_column
    {"42P03", kS},  // duplicate_cursor
    {"42P04", kS},  // duplicate_database
    {"42723", kS},  // duplicate_function
    {"42P05", kS},  // duplicate_prepared_statement
    {"42P06", kS},  // duplicate_schema
    {"42P07", kS},  // duplicate_table
    {"42712", kS},  // duplicate_alias
    {"42710", kS},  // duplicate_object
    {"42702", kS},  // ambiguous_column
    {"42725", kS},  // ambiguous_function
    {"42P08", kS},  // ambiguous_parameter
    {"42P09", kS},  // ambiguous_alias
    {"42P10", kS},  // invalid_column_reference
    {"42611", kS},  // invalid_column_definition
    {"42P11", kS},  // invalid_cursor_definition
    {"42P12", kS},  // invalid_database_definition
    {"42P13", kS},  // invalid_function_definition
    {"42P14", kS},  // invalid_prepared_statement_definition
    {"42P15", kS},  // invalid_schema_definition
    {"42P16", kS},  // invalid_table_definition
    {"42P17", kS},  // invalid_object_definition
    {"44000", kU},  // with_check_option_violation
    {"53000", kU},  // insufficient_resources
    {"53100", kU},  // disk_full
    {"53200", kU},  // out_of_memory
    {"53300", kU},  // too_many_connections
    {"53400", kU},  // configuration_limit_exceeded
    {"54000", kU},  // program_limit_exceeded
    {"54001", kU},  // statement_too_complex
    {"54011", kU},  // too_many_columns
    {"54023", kU},  // too_many_arguments
    {"55000", kU},  // object_not_in_prerequisite_state
    {"55006", kU},  // object_in_use
    {"55P02", kU},  // cant_change_runtime_param
    {"55P03", kT},  // lock_not_available
    {"55P04", kU},  // unsafe_new_enum_value_usage
    {"57000", kU},  // operator_intervention
    {"57014", kT},  // query_canceled
    {"57P01", kU},  // admin_shutdown
    {"57P02", kU},  // crash_shutdown
    {"57P03", kU},  // cannot_connect_now
    {"57P04", kU},  // database_dropped
    {"57P05", kU},  // idle_session_timeout
    {"58000", kU},  // system_error
    {"58030", kU},  // io_error
    {"58P01", kU},  // undefined_file
    {"58P02", kU},  // duplicate_file
    {"72000", kU},  // snapshot_too_old
    {"F0000", kU},  // config_file_error
    {"F0001", kU},  // lock_file_exists
    {"HV000", kU},  // fdw_error
    {"HV005", kU},  // fdw_column_name_not_found
    {"HV002", kU},  // fdw_dynamic_parameter_value_needed
    {"HV010", kU},  // fdw_function_sequence_error
    {"HV021", kU},  // fdw_inconsistent_descriptor_information
    {"HV024", kU},  // fdw_invalid_attribute_value
    {"HV007", kU},  // fdw_invalid_column_name
    {"HV008", kU},  // fdw_invalid_column_number
    {"HV004", kU},  // fdw_invalid_data_type
    {"HV006", kU},  // fdw_invalid_data_type_descriptors
    {"HV091", kU},  // fdw_invalid_descriptor_field_identifier
    {"HV00B", kU},  // fdw_invalid_handle
    {"HV00C", kU},  // fdw_invalid_option_index
    {"HV00D", kU},  // fdw_invalid_option_name
    {"HV090", kU},  // fdw_invalid_string_length_or_buffer_length
    {"HV00A", kU},  // fdw_invalid_string_format
    {"HV009", kU},  // fdw_invalid_use_of_null_pointer
    {"HV014", kU},  // fdw_too_many_handles
    {"HV001", kU},  // fdw_out_of_memory
    {"HV00P", kU},  // fdw_no_schemas
    {"HV00J", kU},  // fdw_option_name_not_found
    {"HV00K", kU},  // fdw_reply_handle
    {"HV00Q", kU},  // fdw_schema_not_found
    {"HV00R", kU},  // fdw_table_not_found
    {"HV00L", kU},  // fdw_unable_to_create_execution
    {"HV00M", kU},  // fdw_unable_to_create_reply
    {"HV00N", kU},  // fdw_unable_to_establish_connection
    {"P0000", kU},  // plpgsql_error
    {"P0001", kC},  // raise_exception
    {"P0002", kU},  // no_data_found
    {"P0003", kU},  // too_many_rows
    {"P0004", kC},  // assert_failure
    {"XX000", kU},  // internal_error
    {"XX001", kU},  // data_corrupted
    {"XX002", kU},  // index_corrupted
};

struct SqliteCase {
  int code;
  ErrorCode expected;
};

// sqlite3.h: every primary result code except SQLITE_OK.
const SqliteCase kSqlitePrimary[] = {
    {SQLITE_ERROR, kS},     {SQLITE_INTERNAL, kU}, {SQLITE_PERM, kU},       {SQLITE_ABORT, kU},
    {SQLITE_BUSY, kU},      {SQLITE_LOCKED, kU},   {SQLITE_NOMEM, kU},      {SQLITE_READONLY, kU},
    {SQLITE_INTERRUPT, kU}, {SQLITE_IOERR, kU},    {SQLITE_CORRUPT, kX},    {SQLITE_NOTFOUND, kU},
    {SQLITE_FULL, kU},      {SQLITE_CANTOPEN, kU}, {SQLITE_PROTOCOL, kU},   {SQLITE_EMPTY, kU},
    {SQLITE_SCHEMA, kS},    {SQLITE_TOOBIG, kC},   {SQLITE_CONSTRAINT, kC}, {SQLITE_MISMATCH, kC},
    {SQLITE_MISUSE, kS},    {SQLITE_NOLFS, kU},    {SQLITE_AUTH, kS},       {SQLITE_FORMAT, kU},
    {SQLITE_RANGE, kS},     {SQLITE_NOTADB, kX},   {SQLITE_NOTICE, kU},     {SQLITE_WARNING, kU},
    {SQLITE_ROW, kU},       {SQLITE_DONE, kU},
};

// sqlite3.h: every extended result code (classified as its primary unless listed).
const SqliteCase kSqliteExtended[] = {
    {SQLITE_ERROR_MISSING_COLLSEQ, kS},
    {SQLITE_ERROR_RETRY, kU},
    {SQLITE_ERROR_SNAPSHOT, kU},
    {SQLITE_IOERR_READ, kU},
    {SQLITE_IOERR_SHORT_READ, kU},
    {SQLITE_IOERR_WRITE, kU},
    {SQLITE_IOERR_FSYNC, kU},
    {SQLITE_IOERR_DIR_FSYNC, kU},
    {SQLITE_IOERR_TRUNCATE, kU},
    {SQLITE_IOERR_FSTAT, kU},
    {SQLITE_IOERR_UNLOCK, kU},
    {SQLITE_IOERR_RDLOCK, kU},
    {SQLITE_IOERR_DELETE, kU},
    {SQLITE_IOERR_BLOCKED, kU},
    {SQLITE_IOERR_NOMEM, kU},
    {SQLITE_IOERR_ACCESS, kU},
    {SQLITE_IOERR_CHECKRESERVEDLOCK, kU},
    {SQLITE_IOERR_LOCK, kU},
    {SQLITE_IOERR_CLOSE, kU},
    {SQLITE_IOERR_DIR_CLOSE, kU},
    {SQLITE_IOERR_SHMOPEN, kU},
    {SQLITE_IOERR_SHMSIZE, kU},
    {SQLITE_IOERR_SHMLOCK, kU},
    {SQLITE_IOERR_SHMMAP, kU},
    {SQLITE_IOERR_SEEK, kU},
    {SQLITE_IOERR_DELETE_NOENT, kU},
    {SQLITE_IOERR_MMAP, kU},
    {SQLITE_IOERR_GETTEMPPATH, kU},
    {SQLITE_IOERR_CONVPATH, kU},
    {SQLITE_IOERR_VNODE, kU},
    {SQLITE_IOERR_AUTH, kU},
    {SQLITE_IOERR_BEGIN_ATOMIC, kU},
    {SQLITE_IOERR_COMMIT_ATOMIC, kU},
    {SQLITE_IOERR_ROLLBACK_ATOMIC, kU},
    {SQLITE_IOERR_DATA, kU},
    {SQLITE_IOERR_CORRUPTFS, kU},
    {SQLITE_LOCKED_SHAREDCACHE, kU},
    {SQLITE_LOCKED_VTAB, kU},
    {SQLITE_BUSY_RECOVERY, kU},
    {SQLITE_BUSY_SNAPSHOT, kU},
    {SQLITE_BUSY_TIMEOUT, kU},
    {SQLITE_CANTOPEN_NOTEMPDIR, kU},
    {SQLITE_CANTOPEN_ISDIR, kU},
    {SQLITE_CANTOPEN_FULLPATH, kU},
    {SQLITE_CANTOPEN_CONVPATH, kU},
    {SQLITE_CANTOPEN_DIRTYWAL, kU},
    {SQLITE_CANTOPEN_SYMLINK, kU},
    {SQLITE_CORRUPT_VTAB, kX},
    {SQLITE_CORRUPT_SEQUENCE, kX},
    {SQLITE_CORRUPT_INDEX, kX},
    {SQLITE_READONLY_RECOVERY, kU},
    {SQLITE_READONLY_CANTLOCK, kU},
    {SQLITE_READONLY_ROLLBACK, kU},
    {SQLITE_READONLY_DBMOVED, kU},
    {SQLITE_READONLY_CANTINIT, kU},
    {SQLITE_READONLY_DIRECTORY, kU},
    {SQLITE_ABORT_ROLLBACK, kU},
    {SQLITE_CONSTRAINT_CHECK, kC},
    {SQLITE_CONSTRAINT_COMMITHOOK, kC},
    {SQLITE_CONSTRAINT_FOREIGNKEY, kC},
    {SQLITE_CONSTRAINT_FUNCTION, kC},
    {SQLITE_CONSTRAINT_NOTNULL, kC},
    {SQLITE_CONSTRAINT_PRIMARYKEY, kC},
    {SQLITE_CONSTRAINT_TRIGGER, kC},
    {SQLITE_CONSTRAINT_UNIQUE, kC},
    {SQLITE_CONSTRAINT_VTAB, kC},
    {SQLITE_CONSTRAINT_ROWID, kC},
    {SQLITE_CONSTRAINT_PINNED, kC},
    {SQLITE_CONSTRAINT_DATATYPE, kC},
    {SQLITE_NOTICE_RECOVER_WAL, kU},
    {SQLITE_NOTICE_RECOVER_ROLLBACK, kU},
    {SQLITE_WARNING_AUTOINDEX, kU},
    {SQLITE_AUTH_USER, kS},

};

}  // namespace

TEST_CASE("classify_sqlstate: every PostgreSQL 15 error code", "[sink][classify]") {
  for (const PgCase& c : kPgCases) {
    INFO("SQLSTATE " << c.sqlstate);
    CHECK(claimsync::store::classify_sqlstate(c.sqlstate) == c.expected);
  }
}

TEST_CASE("classify_sqlstate: the incidents of issue 10 are availability failures",
          "[sink][classify]") {
  using claimsync::store::classify_sqlstate;
  for (const char* s : {"58030", "XX000", "XX001", "57P04", "40003", "25006", "53100", "08006"}) {
    INFO(s);
    CHECK(classify_sqlstate(s) == kU);
  }
  CHECK(classify_sqlstate("") == kU);       // no server answer at all
  CHECK(classify_sqlstate("ZZ999") == kU);  // a code from a future server
  CHECK(classify_sqlstate("2350") == kU);   // malformed
  CHECK(classify_sqlstate("23505") == kC);
  CHECK(classify_sqlstate("P0001") == kC);
  CHECK(classify_sqlstate("P0002") == kU);
  CHECK(classify_sqlstate("42P01") == kS);
  CHECK(classify_sqlstate("57014") == kT);
}

TEST_CASE("classify_sqlite_error: every primary and extended result code", "[sink][classify]") {
  using claimsync::store::classify_sqlite_error;
  for (const SqliteCase& c : kSqlitePrimary) {
    INFO("primary " << c.code << " " << sqlite3_errstr(c.code));
    CHECK(classify_sqlite_error(c.code) == c.expected);
  }
  for (const SqliteCase& c : kSqliteExtended) {
    INFO("extended " << c.code << " " << sqlite3_errstr(c.code));
    CHECK(classify_sqlite_error(c.code) == c.expected);
  }
  CHECK(classify_sqlite_error(-1) == kU);   // SQLiteCpp's own exceptions
  CHECK(classify_sqlite_error(255) == kU);  // unknown
}

TEST_CASE("sqlite_call: an exception becomes a classified Status", "[sink][classify]") {
  using claimsync::store::sqlite_call;
  const auto st =
      sqlite_call("apply", [] { throw SQLite::Exception("disk I/O", SQLITE_IOERR_FSYNC); });
  CHECK(st.code() == kU);
  CHECK(st.message().find("sqlite: apply: disk I/O") != std::string::npos);
  CHECK(sqlite_call("apply", [] {
          throw SQLite::Exception("UNIQUE constraint failed", SQLITE_CONSTRAINT_UNIQUE);
        }).code() == kC);
  CHECK(sqlite_call("ok", [] {}).ok());
}
