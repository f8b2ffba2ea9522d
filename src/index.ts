/**
 * webcnn: a CNN engine on WebGPU, with a CPU reference backend.
 *
 * ```ts
 * import { createBackend } from 'webcnn';
 * const { backend } = await createBackend();
 * const x = backend.tensor(new Float32Array(1 * 1 * 32 * 32), [1, 1, 32, 32]);
 * ```
 */
export * from './errors.js';
export { type Shape, fmtShape, sizeOf, shapesEqual, broadcastShapes } from './shape.js';
export { Tensor } from './tensor.js';
export type { Backend, BackendName } from './backends/backend.js';
export { CpuBackend } from './backends/cpu/backend.js';
export { CpuTensor } from './backends/cpu/cpu_tensor.js';
export type { HostTensor } from './backends/cpu/host_tensor.js';
export { WebGpuBackend, type WebGpuBackendOptions, type WebGpuDebugOptions, type MemoryInfo } from './backends/webgpu/backend.js';
export { GpuTensor } from './backends/webgpu/gpu_tensor.js';
export { SplitTensor } from './backends/webgpu/split_tensor.js';
export { ExecutionPlan, type PlanOptions, type PlanMemoryReport, type PlanProfile, type DispatchTiming, type ProfileOptions } from './backends/webgpu/plan.js';
export { type DispatchReport, type DispatchInfo, SMALL_DISPATCH_WORKGROUPS, formatDispatchReport } from './backends/dispatch_report.js';
export { planMemory, lifetimesOverlap, type Lifetime, type MemoryPlan } from './backends/memory_plan.js';
export { type KernelSpec, type KernelCall, type BindingKind, pipelineKey, packUniforms } from './backends/webgpu/program.js';
export { PipelineCache, type PipelineCacheStats, type PipelineCompilation } from './backends/webgpu/pipeline_cache.js';
export { createBackend, type CreateBackendOptions, type BackendChoice } from './backends/create.js';
// Types only: the wasm backend's code is loaded when it is first made (createBackend, createEngine).
export type { WasmBackend, WasmBackendOptions } from './backends/wasm/backend.js';
export { acquireDevice, liveDeviceCount, type GpuContext, type DeviceOptions, type AdapterSummary, type LimitName, OPTIONAL_FEATURES } from './device/device.js';
export { type Activation, type ActivationName, type ActivationDef, type ActivationArg, ACTIVATIONS, exampleActivations, SCALED_TANH_A, SCALED_TANH_S } from './ops/activation.js';
export type { Conv2dParams, Padding2d } from './ops/conv2d.js';
export type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from './ops/pool.js';
export type { MatmulParams } from './ops/matmul.js';
export type { BatchNormParams } from './ops/normalization.js';
export { MetaBackend, MetaTensor } from './backends/meta/backend.js';
export { layers } from './graph/factories.js';
export type { LayerConfig, LayerType } from './ops/registry.js';
export type { ParamSpec, Init, OpDef } from './ops/op.js';
export type { ActivationLayer } from './ops/activation.js';
export type { Conv2dLayer } from './ops/conv2d.js';
export type { Conv2dTransposeLayer } from './ops/conv_transpose.js';
export type { Pool2dLayer, GlobalPoolLayer, AdaptiveAvgPoolLayer, SubsampleLayer, LrnLayer } from './ops/pool.js';
export type { DenseLayer, RbfLayer, SoftmaxLayer, MatmulLayer } from './ops/matmul.js';
export type { BatchNormLayer, ConcatLayer } from './ops/normalization.js';
export type { DropoutLayer, FlattenLayer, AddLayer, MulLayer, BinaryConstLayer, ReshapeLayer } from './ops/elementwise.js';
export type { TransposeLayer } from './ops/transpose.js';
export { BINARY_OPS, BINARY, WHERE, type BinaryOpName, type BinaryLayerOp, type BinaryLayer, type WhereLayer, type PreluLayer } from './ops/binary.js';
export type { ResizeLayer, ResizeMode, CoordinateTransform, NearestMode } from './ops/resize.js';
export type { PadLayer, PadMode } from './ops/pad.js';
export type { DepthToSpaceLayer, SpaceToDepthLayer, BlockMode } from './ops/depth_to_space.js';
export type { Upsampling2dOptions, Padding2dSpec } from './graph/factories.js';
export type { ReduceLayer, ArgReduceLayer, ReduceKind } from './ops/reduce.js';
export type { LayerNormLayer, InstanceNormLayer, GroupNormLayer, LayerNormStatsLayer } from './ops/norm.js';
export type { SliceLayer, TileLayer, ExpandLayer } from './ops/strided_view.js';
export type { GatherLayer, GatherElementsLayer } from './ops/gather.js';
export { type Graph, type GraphNode, type GraphInput, type GraphInfo, type NodeInfo, type Dim, type Bindings, checkGraph, inferGraph, resolveBindings } from './graph/graph.js';
export type { Executable, ExecutableMemory, CompileOptions } from './backends/backend.js';
export { Model, type ModelOptions, type FunctionalModelSpec } from './graph/model.js';
export { Sequential, type SequentialOptions } from './graph/sequential.js';
export { SymbolicTensor, input, apply } from './graph/functional.js';
export type { PredictOptions, Feed, OutputTensor, WarmupOptions, LoadProgress, ProgressCallback } from './graph/model.js';
export type { LoadProgressOptions } from './graph/options.js';
export { createEngine, Engine, classify, readWeights, type EngineOptions, type LoadOptions, type WeightsSource, type Classification, type OnnxSource, type OnnxLoadOptions } from './engine/engine.js';
export { DataLoadError } from './data/mnist.js';
export {
  imageToSample, readPixels, toModelInput, LENET5_IMAGE_INPUT, type ImageInput, type ImageInputOptions, type ModelInput, type PixelData,
} from './engine/input.js';
export * from './models/index.js';
export type {
  TrainingBackend, GradRequest, Conv2dGrads, DenseGrads, SubsampleGrads, LossResult, BatchNormTrainParams, BatchNormTrainResult,
  BatchNormGrads, SgdParams, AdamParams,
} from './backends/training.js';
export { readSafetensors, writeSafetensors, SafetensorsError, MAX_HEADER_BYTES, type NamedTensor, type StoredTensor, type SafetensorsDtype, type SafetensorsFile } from './io/safetensors.js';
export { readNpy, writeNpy, NpyError, type NpyArray, type NpyDtype } from './io/npy.js';
