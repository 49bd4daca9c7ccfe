/* schemas.c - the request-body tables for assistants, threads, messages, runs and files.
 *
 * Each table transcribes a request schema of the OpenAPI spec (names in comments), with the
 * limits the spec states in prose (metadata sizes, tool counts) written in as well. */
#include "schemas.h"

#include <stddef.h>

/* --- Scalars --- */
static const struct sc_schema str = { .type = SC_STRING };
static const struct sc_schema boolean = { .type = SC_BOOL };
static const struct sc_schema boolean_null = { .type = SC_BOOL, .nullable = true };
static const struct sc_schema any_object = { .type = SC_OBJECT, .open = true };
static const struct sc_schema name_str = { .type = SC_STRING, .nullable = true, .max_len = 256 };
static const struct sc_schema desc_str = { .type = SC_STRING, .nullable = true, .max_len = 512 };
static const struct sc_schema instructions_str = {
	.type = SC_STRING, .nullable = true, .max_len = 256000 };
static const struct sc_schema model_str = { .type = SC_STRING, .min_len = 1, .max_len = 256 };
static const struct sc_schema temperature = {
	.type = SC_NUMBER, .nullable = true, .has_min = true, .has_max = true, .min = 0, .max = 2 };
static const struct sc_schema top_p = {
	.type = SC_NUMBER, .nullable = true, .has_min = true, .has_max = true, .min = 0, .max = 1 };
static const struct sc_schema score = {
	.type = SC_NUMBER, .has_min = true, .has_max = true, .min = 0, .max = 1 };

static const char *const effort_values[] = {
	"none", "minimal", "low", "medium", "high", "xhigh", "max", NULL };
static const struct sc_schema reasoning_effort = {
	.type = SC_ENUM, .nullable = true, .values = effort_values };

/* Metadata: at most 16 string pairs, keys of 64 characters, values of 512. */
static const struct sc_schema metadata_value = { .type = SC_STRING, .max_len = 512 };
const struct sc_schema sc_metadata = {
	.type = SC_MAP, .nullable = true, .items = &metadata_value,
	.max_items = API_METADATA_MAX_PAIRS, .max_key_len = API_METADATA_MAX_KEY };

/* --- Tools: AssistantToolsCode, AssistantToolsFileSearch, AssistantToolsFunction --- */
static const struct sc_field code_tool_fields[] = {
	{ "type", &str, true },
	{ NULL, NULL, false },
};
static const struct sc_schema code_tool = { .type = SC_OBJECT, .fields = code_tool_fields };

static const char *const ranker_values[] = { "auto", "default_2024_08_21", NULL };
static const struct sc_schema ranker = { .type = SC_ENUM, .values = ranker_values };
static const struct sc_field ranking_fields[] = {
	{ "ranker", &ranker, false },
	{ "score_threshold", &score, true },
	{ NULL, NULL, false },
};
static const struct sc_schema ranking_options = { .type = SC_OBJECT, .fields = ranking_fields };
static const struct sc_schema max_num_results = {
	.type = SC_INT, .has_min = true, .has_max = true, .min = 1, .max = 50 };
static const struct sc_field file_search_opt_fields[] = {
	{ "max_num_results", &max_num_results, false },
	{ "ranking_options", &ranking_options, false },
	{ NULL, NULL, false },
};
static const struct sc_schema file_search_opts = {
	.type = SC_OBJECT, .fields = file_search_opt_fields };
static const struct sc_field file_search_tool_fields[] = {
	{ "type", &str, true },
	{ "file_search", &file_search_opts, false },
	{ NULL, NULL, false },
};
static const struct sc_schema file_search_tool = {
	.type = SC_OBJECT, .fields = file_search_tool_fields };

static const struct sc_schema function_name = {
	.type = SC_STRING, .min_len = 1, .max_len = 64, .name_chars = true };
static const struct sc_field function_fields[] = {
	{ "name", &function_name, true },
	{ "description", &str, false },
	{ "parameters", &any_object, false },
	{ "strict", &boolean_null, false },
	{ NULL, NULL, false },
};
static const struct sc_schema function_object = { .type = SC_OBJECT, .fields = function_fields };
static const struct sc_field function_tool_fields[] = {
	{ "type", &str, true },
	{ "function", &function_object, true },
	{ NULL, NULL, false },
};
static const struct sc_schema function_tool = {
	.type = SC_OBJECT, .fields = function_tool_fields };

static const struct sc_variant tool_variants[] = {
	{ "code_interpreter", &code_tool },
	{ "file_search", &file_search_tool },
	{ "function", &function_tool },
	{ NULL, NULL },
};
static const struct sc_schema tool = { .type = SC_UNION, .variants = tool_variants };
static const struct sc_schema assistant_tools = {
	.type = SC_ARRAY, .items = &tool, .max_items = 128 };

/* --- tool_resources --- */
static const struct sc_schema file_ids_20 = { .type = SC_ARRAY, .items = &str, .max_items = 20 };
static const struct sc_schema vector_store_ids = {
	.type = SC_ARRAY, .items = &str, .max_items = 1 };
static const struct sc_field code_res_fields[] = {
	{ "file_ids", &file_ids_20, false },
	{ NULL, NULL, false },
};
static const struct sc_schema code_res = { .type = SC_OBJECT, .fields = code_res_fields };

static const struct sc_schema chunk_size = {
	.type = SC_INT, .has_min = true, .has_max = true, .min = 100, .max = 4096 };
static const struct sc_schema chunk_overlap = { .type = SC_INT, .has_min = true, .min = 0 };
static const struct sc_field static_chunk_fields[] = {
	{ "max_chunk_size_tokens", &chunk_size, true },
	{ "chunk_overlap_tokens", &chunk_overlap, true },
	{ NULL, NULL, false },
};
static const struct sc_schema static_chunk = { .type = SC_OBJECT, .fields = static_chunk_fields };
static const struct sc_field auto_strategy_fields[] = {
	{ "type", &str, true },
	{ NULL, NULL, false },
};
static const struct sc_schema auto_strategy = {
	.type = SC_OBJECT, .fields = auto_strategy_fields };
static const struct sc_field static_strategy_fields[] = {
	{ "type", &str, true },
	{ "static", &static_chunk, true },
	{ NULL, NULL, false },
};
static const struct sc_schema static_strategy = {
	.type = SC_OBJECT, .fields = static_strategy_fields };
static const struct sc_variant strategy_variants[] = {
	{ "auto", &auto_strategy },
	{ "static", &static_strategy },
	{ NULL, NULL },
};
const struct sc_schema sc_chunking_strategy = {
	.type = SC_UNION, .variants = strategy_variants };
static const struct sc_schema file_ids_many = { .type = SC_ARRAY, .items = &str };
static const struct sc_field vs_helper_fields[] = {
	{ "file_ids", &file_ids_many, false },
	{ "chunking_strategy", &sc_chunking_strategy, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
static const struct sc_schema vs_helper = { .type = SC_OBJECT, .fields = vs_helper_fields };
static const struct sc_schema vs_helpers = { .type = SC_ARRAY, .items = &vs_helper, .max_items = 1 };

static const struct sc_field search_res_create_fields[] = {
	{ "vector_store_ids", &vector_store_ids, false },
	{ "vector_stores", &vs_helpers, false },
	{ NULL, NULL, false },
};
static const struct sc_schema search_res_create = {
	.type = SC_OBJECT, .fields = search_res_create_fields };
static const struct sc_field search_res_modify_fields[] = {
	{ "vector_store_ids", &vector_store_ids, false },
	{ NULL, NULL, false },
};
static const struct sc_schema search_res_modify = {
	.type = SC_OBJECT, .fields = search_res_modify_fields };

static const struct sc_field res_create_fields[] = {
	{ "code_interpreter", &code_res, false },
	{ "file_search", &search_res_create, false },
	{ NULL, NULL, false },
};
static const struct sc_schema tool_resources_create = {
	.type = SC_OBJECT, .nullable = true, .fields = res_create_fields };
static const struct sc_field res_modify_fields[] = {
	{ "code_interpreter", &code_res, false },
	{ "file_search", &search_res_modify, false },
	{ NULL, NULL, false },
};
static const struct sc_schema tool_resources_modify = {
	.type = SC_OBJECT, .nullable = true, .fields = res_modify_fields };

/* --- response_format: "auto" | text | json_object | json_schema --- */
static const char *const auto_values[] = { "auto", NULL };
static const struct sc_schema format_auto = { .type = SC_ENUM, .values = auto_values };
static const struct sc_schema format_text = { .type = SC_OBJECT, .fields = code_tool_fields };
static const struct sc_field json_schema_fields[] = {
	{ "name", &function_name, true },
	{ "description", &str, false },
	{ "schema", &any_object, false },
	{ "strict", &boolean_null, false },
	{ NULL, NULL, false },
};
static const struct sc_schema json_schema_spec = { .type = SC_OBJECT, .fields = json_schema_fields };
static const struct sc_field format_json_schema_fields[] = {
	{ "type", &str, true },
	{ "json_schema", &json_schema_spec, true },
	{ NULL, NULL, false },
};
static const struct sc_schema format_json_schema = {
	.type = SC_OBJECT, .fields = format_json_schema_fields };
static const struct sc_variant format_variants[] = {
	{ "text", &format_text },
	{ "json_object", &format_text },
	{ "json_schema", &format_json_schema },
	{ NULL, NULL },
};
static const struct sc_schema format_object = { .type = SC_UNION, .variants = format_variants };
static const struct sc_schema *const format_alts[] = { &format_auto, &format_object, NULL };
static const struct sc_schema response_format = {
	.type = SC_ANYOF, .nullable = true, .alts = format_alts };

/* --- CreateAssistantRequest / ModifyAssistantRequest --- */
static const struct sc_field create_assistant_fields[] = {
	{ "model", &model_str, true },
	{ "name", &name_str, false },
	{ "description", &desc_str, false },
	{ "instructions", &instructions_str, false },
	{ "reasoning_effort", &reasoning_effort, false },
	{ "tools", &assistant_tools, false },
	{ "tool_resources", &tool_resources_create, false },
	{ "metadata", &sc_metadata, false },
	{ "temperature", &temperature, false },
	{ "top_p", &top_p, false },
	{ "response_format", &response_format, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_assistant = {
	.type = SC_OBJECT, .fields = create_assistant_fields };

static const struct sc_field modify_assistant_fields[] = {
	{ "model", &model_str, false },
	{ "name", &name_str, false },
	{ "description", &desc_str, false },
	{ "instructions", &instructions_str, false },
	{ "reasoning_effort", &reasoning_effort, false },
	{ "tools", &assistant_tools, false },
	{ "tool_resources", &tool_resources_modify, false },
	{ "metadata", &sc_metadata, false },
	{ "temperature", &temperature, false },
	{ "top_p", &top_p, false },
	{ "response_format", &response_format, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_modify_assistant = {
	.type = SC_OBJECT, .fields = modify_assistant_fields };

/* --- CreateMessageRequest --- */
static const char *const role_values[] = { "user", "assistant", NULL };
static const struct sc_schema role = { .type = SC_ENUM, .values = role_values };
static const char *const detail_values[] = { "auto", "low", "high", NULL };
static const struct sc_schema detail = { .type = SC_ENUM, .values = detail_values };
static const struct sc_schema text_value = { .type = SC_STRING, .max_len = 256000 };
static const struct sc_field text_part_fields[] = {
	{ "type", &str, true },
	{ "text", &text_value, true },
	{ NULL, NULL, false },
};
static const struct sc_schema text_part = { .type = SC_OBJECT, .fields = text_part_fields };
static const struct sc_field image_file_fields[] = {
	{ "file_id", &str, true },
	{ "detail", &detail, false },
	{ NULL, NULL, false },
};
static const struct sc_schema image_file = { .type = SC_OBJECT, .fields = image_file_fields };
static const struct sc_field image_file_part_fields[] = {
	{ "type", &str, true },
	{ "image_file", &image_file, true },
	{ NULL, NULL, false },
};
static const struct sc_schema image_file_part = {
	.type = SC_OBJECT, .fields = image_file_part_fields };
static const struct sc_schema url = { .type = SC_STRING, .min_len = 1, .max_len = 65536 };
static const struct sc_field image_url_fields[] = {
	{ "url", &url, true },
	{ "detail", &detail, false },
	{ NULL, NULL, false },
};
static const struct sc_schema image_url = { .type = SC_OBJECT, .fields = image_url_fields };
static const struct sc_field image_url_part_fields[] = {
	{ "type", &str, true },
	{ "image_url", &image_url, true },
	{ NULL, NULL, false },
};
static const struct sc_schema image_url_part = {
	.type = SC_OBJECT, .fields = image_url_part_fields };
static const struct sc_variant part_variants[] = {
	{ "text", &text_part },
	{ "image_file", &image_file_part },
	{ "image_url", &image_url_part },
	{ NULL, NULL },
};
static const struct sc_schema part = { .type = SC_UNION, .variants = part_variants };
static const struct sc_schema parts = {
	.type = SC_ARRAY, .items = &part, .min_items = 1, .max_items = 128 };
static const struct sc_schema *const content_alts[] = { &text_value, &parts, NULL };
static const struct sc_schema content = { .type = SC_ANYOF, .alts = content_alts };

static const struct sc_variant attach_tool_variants[] = {
	{ "code_interpreter", &code_tool },
	{ "file_search", &code_tool },
	{ NULL, NULL },
};
static const struct sc_schema attach_tool = { .type = SC_UNION, .variants = attach_tool_variants };
static const struct sc_schema attach_tools = {
	.type = SC_ARRAY, .items = &attach_tool, .max_items = 2 };
static const struct sc_field attachment_fields[] = {
	{ "file_id", &str, true },
	{ "tools", &attach_tools, true },
	{ NULL, NULL, false },
};
static const struct sc_schema attachment = { .type = SC_OBJECT, .fields = attachment_fields };
static const struct sc_schema attachments = {
	.type = SC_ARRAY, .nullable = true, .items = &attachment, .max_items = 20 };

static const struct sc_field create_message_fields[] = {
	{ "role", &role, true },
	{ "content", &content, true },
	{ "attachments", &attachments, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_message = { .type = SC_OBJECT, .fields = create_message_fields };

static const struct sc_field modify_metadata_fields[] = {
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_modify_metadata = { .type = SC_OBJECT, .fields = modify_metadata_fields };

/* --- CreateThreadRequest / ModifyThreadRequest --- */
static const struct sc_schema thread_messages = {
	.type = SC_ARRAY, .items = &sc_create_message, .max_items = 100 };
static const struct sc_field create_thread_fields[] = {
	{ "messages", &thread_messages, false },
	{ "tool_resources", &tool_resources_create, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_thread = { .type = SC_OBJECT, .fields = create_thread_fields };

static const struct sc_field modify_thread_fields[] = {
	{ "tool_resources", &tool_resources_modify, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_modify_thread = { .type = SC_OBJECT, .fields = modify_thread_fields };

/* --- CreateRunRequest / CreateThreadAndRunRequest / SubmitToolOutputsRunRequest --- */
static const struct sc_schema model_null = {
	.type = SC_STRING, .nullable = true, .min_len = 1, .max_len = 256 };
static const struct sc_schema run_tools = {
	.type = SC_ARRAY, .nullable = true, .items = &tool, .max_items = 20 };
static const struct sc_schema token_limit = {
	.type = SC_INT, .nullable = true, .has_min = true, .min = 256 };
static const struct sc_schema run_messages = {
	.type = SC_ARRAY, .nullable = true, .items = &sc_create_message, .max_items = 100 };

static const char *const truncation_values[] = { "auto", "last_messages", NULL };
static const struct sc_schema truncation_type = { .type = SC_ENUM, .values = truncation_values };
static const struct sc_schema last_messages = {
	.type = SC_INT, .nullable = true, .has_min = true, .min = 1 };
static const struct sc_field truncation_fields[] = {
	{ "type", &truncation_type, true },
	{ "last_messages", &last_messages, false },
	{ NULL, NULL, false },
};
static const struct sc_schema truncation = {
	.type = SC_OBJECT, .nullable = true, .fields = truncation_fields };

static const char *const choice_values[] = { "none", "auto", "required", NULL };
static const struct sc_schema choice_mode = { .type = SC_ENUM, .values = choice_values };
static const char *const choice_type_values[] = {
	"function", "code_interpreter", "file_search", NULL };
static const struct sc_schema choice_type = { .type = SC_ENUM, .values = choice_type_values };
static const struct sc_field choice_function_fields[] = {
	{ "name", &function_name, true },
	{ NULL, NULL, false },
};
static const struct sc_schema choice_function = {
	.type = SC_OBJECT, .fields = choice_function_fields };
static const struct sc_field named_choice_fields[] = {
	{ "type", &choice_type, true },
	{ "function", &choice_function, false },
	{ NULL, NULL, false },
};
static const struct sc_schema named_choice = { .type = SC_OBJECT, .fields = named_choice_fields };
static const struct sc_schema *const choice_alts[] = { &choice_mode, &named_choice, NULL };
static const struct sc_schema tool_choice = {
	.type = SC_ANYOF, .nullable = true, .alts = choice_alts };

static const struct sc_field create_run_fields[] = {
	{ "assistant_id", &str, true },
	{ "model", &model_null, false },
	{ "reasoning_effort", &reasoning_effort, false },
	{ "instructions", &instructions_str, false },
	{ "additional_instructions", &instructions_str, false },
	{ "additional_messages", &run_messages, false },
	{ "tools", &run_tools, false },
	{ "metadata", &sc_metadata, false },
	{ "temperature", &temperature, false },
	{ "top_p", &top_p, false },
	{ "stream", &boolean_null, false },
	{ "max_prompt_tokens", &token_limit, false },
	{ "max_completion_tokens", &token_limit, false },
	{ "truncation_strategy", &truncation, false },
	{ "tool_choice", &tool_choice, false },
	{ "parallel_tool_calls", &boolean, false },
	{ "response_format", &response_format, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_run = { .type = SC_OBJECT, .fields = create_run_fields };

static const struct sc_schema run_thread = {
	.type = SC_OBJECT, .fields = create_thread_fields };
static const struct sc_field create_thread_and_run_fields[] = {
	{ "assistant_id", &str, true },
	{ "thread", &run_thread, false },
	{ "model", &model_null, false },
	{ "instructions", &instructions_str, false },
	{ "tools", &run_tools, false },
	{ "tool_resources", &tool_resources_modify, false },
	{ "metadata", &sc_metadata, false },
	{ "temperature", &temperature, false },
	{ "top_p", &top_p, false },
	{ "stream", &boolean_null, false },
	{ "max_prompt_tokens", &token_limit, false },
	{ "max_completion_tokens", &token_limit, false },
	{ "truncation_strategy", &truncation, false },
	{ "tool_choice", &tool_choice, false },
	{ "parallel_tool_calls", &boolean, false },
	{ "response_format", &response_format, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_thread_and_run = {
	.type = SC_OBJECT, .fields = create_thread_and_run_fields };

static const struct sc_schema output_str = { .type = SC_STRING, .max_len = 512 * 1024 };
static const struct sc_field tool_output_fields[] = {
	{ "tool_call_id", &str, false },
	{ "output", &output_str, false },
	{ NULL, NULL, false },
};
static const struct sc_schema tool_output = { .type = SC_OBJECT, .fields = tool_output_fields };
static const struct sc_schema tool_outputs = {
	.type = SC_ARRAY, .items = &tool_output, .max_items = 128 };
static const struct sc_field submit_fields[] = {
	{ "tool_outputs", &tool_outputs, true },
	{ "stream", &boolean_null, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_submit_tool_outputs = { .type = SC_OBJECT, .fields = submit_fields };

/* --- CreateFileRequest (its form fields other than the file; see files_upload.c) --- */
static const char *const file_purpose_values[] = {
	"assistants", "batch", "fine-tune", "vision", "user_data", "evals", NULL };
static const struct sc_schema file_purpose = { .type = SC_ENUM, .values = file_purpose_values };
static const char *const file_anchor_values[] = { "created_at", NULL };
static const struct sc_schema file_anchor = { .type = SC_ENUM, .values = file_anchor_values };
static const struct sc_schema file_seconds = {
	.type = SC_INT, .has_min = true, .has_max = true, .min = 3600, .max = 2592000 };
static const struct sc_field file_expires_fields[] = {
	{ "anchor", &file_anchor, true },
	{ "seconds", &file_seconds, true },
	{ NULL, NULL, false },
};
static const struct sc_schema file_expires = { .type = SC_OBJECT, .fields = file_expires_fields };
static const struct sc_field create_file_fields[] = {
	{ "purpose", &file_purpose, true },
	{ "expires_after", &file_expires, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_file = { .type = SC_OBJECT, .fields = create_file_fields };
