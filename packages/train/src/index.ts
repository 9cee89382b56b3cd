export {
  saveCheckpoint, loadCheckpoint, readCheckpointInfo,
  type TrainingObjects, type CheckpointProgress, type CheckpointInfo, type JsonStateful, type OptimizerLike, type TensorStateful,
} from './checkpoint/checkpoint.js';
export { fit, type FitOptions, type RunOptions, type FitResult, type FitCallbacks, type StepRecord, type EpochRecord, type TrainLoader, type SchedulerLike, type TrainableOptimizer } from './loop/fit.js';
export type { CaptureStatus } from './loop/captured-pass.js';
export type { DataParallel } from './loop/data-parallel.js';
export { evaluate, type EvaluateOptions, type Evaluation, type Misclassified } from './loop/evaluate.js';
export { topkCorrect } from './loop/top-k.js';
export { DivergenceError } from './loop/divergence-error.js';
export { batchOn, type LabeledBatch, type Classifier } from './loop/batch.js';
export { TrainingRecorder, type TrainingRecorderOptions } from './run/training-recorder.js';
export { LanguageModelRecorder, type LanguageModelRecorderOptions } from './run/language-model-recorder.js';
export {
  fitLanguageModel, type FitLanguageModelOptions, type FitLanguageModelResult, type LanguageModelCallbacks, type LanguageModelStep, type LanguageModelEvaluationRecord,
} from './language-model/fit-language-model.js';
export { evaluateLanguageModel, languageModelScores, sequenceLoss, type LanguageModelEvaluation } from './language-model/evaluate-language-model.js';
export { CarriedState } from './language-model/carried-state.js';
export type { LanguageModel, LanguageModelOutput, RecurrentState, SequenceBatches } from './language-model/language-model.js';
export { MetricsLog, readMetrics, METRICS_FILES, type MetricsLogOptions } from './logging/metrics-log.js';
export { metricsToCsv } from './logging/metrics-csv.js';
export type { MetricsRecord, MetricsEntry, MetricsSplit } from './logging/metrics-record.js';
export type { Plot, PlotOptions, GradientNormRecord } from './plots/plot.js';
export { plotLoss, type LossPlotOptions } from './plots/loss-plot.js';
export { plotAccuracy, type AccuracyPlotOptions } from './plots/accuracy-plot.js';
export { plotLearningRate, type LearningRatePlotOptions } from './plots/learning-rate-plot.js';
export { plotGradientNorms, gradientNormsFromMetrics } from './plots/gradient-norms-plot.js';
export { plotGradientFlow, type GradientFlowRun, type GradientFlowPlotOptions } from './plots/gradient-flow-plot.js';
export { plotConfusionMatrix, MAX_PLOTTED_CLASSES, type ConfusionMatrix } from './plots/confusion-matrix-plot.js';
export { renderSvg } from './plots/render-svg.js';
export { smoothExponential } from './plots/smoothing.js';
export { writePlot, svgToPng, type WrittenPlot } from './plots/write-plot.js';
export { writeReport } from './report/write-report.js';
export { renderReportHtml } from './report/report-html.js';
export type { RunReport, ReportPlot, MisclassifiedExample, RawImageLike, TextSample } from './report/run-report.js';
export { ProgressReporter, type ProgressOptions, type ProgressUpdate, type EpochSummary, type ProgressStream } from './progress/progress-reporter.js';
export { formatProgressLine, type ProgressFields } from './progress/progress-format.js';
