// The part of TensorBoard's protocol buffers an event file of ours holds (tensorboard/compat/proto
// event.proto, summary.proto, tensor.proto and the HParams plugin's plugin_data.proto, same field numbers),
// encoded and decoded by protobufjs. Not the record framing (tfrecord.ts) or what a run logs (tensorboard-sink.ts).

import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package tensorboard;
import "google/protobuf/struct.proto";

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
    SessionLog session_log = 7;
  }
  SourceMetadata source_metadata = 10;
}

message SourceMetadata { string writer = 1; }

message SessionLog {
  enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}

message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  int32 data_class = 4;
}

message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  repeated float float_val = 5 [packed = true];
  repeated bytes string_val = 8;
}

message HParamsPluginData {
  int32 version = 1;
  oneof data {
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}

message SessionStartInfo {
  map<string, google.protobuf.Value> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}

message SessionEndInfo {
  int32 status = 1;
  double end_time_secs = 2;
}
`;

const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto')!);
protobuf.parse(PROTO, root);
root.resolveAll();

const EventType = root.lookupType('tensorboard.Event');
const PluginDataType = root.lookupType('tensorboard.HParamsPluginData');

/** DataType values of tensor.proto (types.proto) that we write. */
export const DT_FLOAT = 1;
export const DT_STRING = 7;
/** summary.proto's DataClass. */
export const DATA_CLASS_TENSOR = 2;
/** The HParams plugin's api.proto Status. */
export const HPARAMS_STATUS = { unknown: 0, success: 1, failure: 2, running: 3 } as const;
/** event.proto's SessionLog.SessionStatus. */
export const SESSION_STATUS = { start: 1, stop: 2, checkpoint: 3 } as const;

export interface TensorValue {
  dtype: number;
  tensorShape: { dim: { size: number }[] };
  floatVal?: number[];
  stringVal?: Uint8Array[];
}

export interface SummaryValue {
  tag: string;
  metadata?: {
    pluginData?: { pluginName: string; content?: Uint8Array };
    displayName?: string;
    summaryDescription?: string;
    dataClass?: number;
  };
  simpleValue?: number;
  tensor?: TensorValue;
}

/** One Event, as protobufjs takes it (camelCase field names; one of fileVersion, summary, sessionLog). */
export interface EventMessage {
  wallTime: number;
  step: number;
  fileVersion?: string;
  sourceMetadata?: { writer: string };
  summary?: { value: SummaryValue[] };
  sessionLog?: { status: number; checkpointPath?: string; msg?: string };
}

/** A google.protobuf.Value: what the HParams plugin takes an option's value as. */
export type HParamValue = { numberValue: number } | { stringValue: string } | { boolValue: boolean };

export interface HParamsData {
  version: number;
  sessionStartInfo?: { hparams: Record<string, HParamValue>; modelUri?: string; groupName?: string; startTimeSecs: number };
  sessionEndInfo?: { status: number; endTimeSecs: number };
}

export function encodeEvent(event: EventMessage): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** The step of an encoded Event (resume reads it to drop what came after a checkpoint). */
export function eventStep(bytes: Uint8Array): number {
  const decoded = EventType.toObject(EventType.decode(bytes), { longs: Number }) as { step?: number };
  return decoded.step ?? 0;
}

export function encodeHParamsData(data: HParamsData): Uint8Array {
  return PluginDataType.encode(PluginDataType.fromObject(data)).finish();
}
