#!/usr/bin/env node
// The `maas` command: parses arguments, runs a command, maps errors to exit codes
// (0 success, 2 bad input with a one-line message, 1 internal error).
import { Command, CommanderError, Option } from "commander";
import { isMaasError } from "../errors.js";
import { VERSION } from "../version.js";
import { registerKeysCommands } from "./keys.js";
import { registerRemoteCommands } from "./remote.js";

const list = (v: string): string[] => v.split(",").map((s) => s.trim()).filter(Boolean);

function program(): Command {
  const p = new Command("maas").description("OpenMaaS: train models, compiled to ONNX, and serve them").version(VERSION);
  p.exitOverride().showHelpAfterError("(run with --help for usage)");
  p.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  p.command("train")
    .description("train a model on a table (CSV, JSON, NDJSON) and write it as one .onnx file")
    .requiredOption("--data <path>", "training table (CSV, JSON, NDJSON), image folder (one sub-folder per class), zip, or IDX images")
    .option("--labels <file>", "IDX labels file, for IDX images")
    .option("--target <column>", "column to predict (or `target` in --spec); for mf, the rating column")
    .option("--window <steps>", "sequence models: cut the --target series into windows of this many steps")
    .option("--horizon <steps>", "with --window: predict the series this many steps after each window (default 1)")
    .option("--out <file>", "model file to write", "model.onnx")
    .addOption(new Option("--model <kind>", "model family (default: mlp for tables, cnn for images)").choices(["linear", "logistic", "mlp", "cnn", "rnn", "lstm", "gru", "fasttext", "lexicon", "transformer", "lstm-lm", "mf", "svdpp", "bpr", "als", "popularity"]))
    .option("--text <column>", "text models (fasttext, lexicon; rnn, lstm, gru over text): the text column")
    .addOption(new Option("--preset <task>", "a ready-made spec (flags override it): sentiment = fasttext of 'text' into 'label' (2 or 5 classes)").choices(["sentiment"]))
    .addOption(new Option("--tokenizer <kind>", "text models: word (ICU words, Chinese and Japanese too), char (graphemes) or bpe (byte-level BPE)").choices(["word", "char", "bpe"]))
    .option("--vocab-size <n>", "text models: tokens kept (bpe: the vocabulary learnt)")
    .option("--ngrams <n>", "fasttext: word n-grams up to n, hashed (1: words only)")
    .option("--max-tokens <n>", "text models: tokens read per text (longer texts are cut)")
    .option("--embedding <n>", "text models: width of the token embeddings (transformer: of the residual stream)")
    .option("--blocks <n>", "transformer: decoder blocks; lstm-lm: LSTM layers")
    .option("--heads <n>", "transformer: attention heads")
    .option("--context <n>", "transformer: tokens a window reads")
    .option("--user <column>", "recommenders: the user id column (default user)")
    .option("--item <column>", "recommenders: the item id column (default item)")
    .option("--timestamp <column>", "recommenders: the time column (orders a user's interactions)")
    .option("--factors <n>", "recommenders: latent factors per user and item (mf, bpr)")
    .option("--reg <x>", "recommenders: L2 penalty (mf, bpr: per example's rows; als: on all factors)")
    .option("--alpha <x>", "als: confidence per unit of interaction (c = 1 + alpha x value)")
    .addOption(new Option("--holdout <how>", "recommenders: which pairs to validate on").choices(["random", "user", "last"]))
    .option("--folds <k>", "recommenders: first report k-fold cross-validated metrics")
    .addOption(new Option("--task <task>", "regression or classification (inferred when omitted)").choices(["regression", "classification"]))
    .option("--hidden <widths>", "hidden layer widths, e.g. 64,32 (mlp)")
    .addOption(new Option("--activation <fn>", "hidden activation (mlp)").choices(["relu", "tanh", "sigmoid", "gelu"]))
    .option("--dropout <rate>", "dropout rate after hidden layers (mlp)")
    .option("--epochs <n>", "maximum epochs (early stopping may end sooner)")
    .option("--batch-size <n>", "rows per step")
    .option("--lr <x>", "learning rate")
    .addOption(new Option("--optimizer <name>", "optimizer").choices(["sgd", "momentum", "nesterov", "adam", "adamw"]))
    .option("--weight-decay <x>", "L2 penalty (decoupled for adamw)")
    .option("--validation-split <x>", "fraction of rows held out for validation and early stopping")
    .option("--patience <n>", "epochs without improvement before stopping; 0 turns early stopping off")
    .addOption(new Option("--class-weights <mode>", "weight classes inversely to their frequency").choices(["none", "balanced"]))
    .option("--seed <n>", "random seed")
    .option("--threads <n>", "ONNX Runtime threads (0: one per core)")
    .option("--ignore <columns>", "comma-separated columns not to use", list)
    .option("--categorical <columns>", "comma-separated columns to treat as categories", list)
    .option("--numeric <columns>", "comma-separated columns that must be numeric", list)
    .option("--spec <file>", "the full model and training spec as JSON (flags override it)")
    .option("--json", "print a JSON summary as the last line of stdout")
    .action(async (opts) => (await import("./train.js")).trainCommand(opts));

  p.command("predict")
    .description("predict every row of a table with a model file")
    .requiredOption("--model <file>", "model file (.onnx)")
    .requiredOption("--data <path>", "table to predict (CSV, JSON, NDJSON), or images (a folder, IDX file, zip) for an image model")
    .option("--json", "one JSON object per row on stdout")
    .option("--threads <n>", "ONNX Runtime threads (0: one per core)")
    .action(async (opts) => (await import("./predict.js")).predictCommand(opts));

  p.command("eval")
    .description("the model's metrics on a labelled table")
    .requiredOption("--model <file>", "model file (.onnx)")
    .requiredOption("--data <path>", "labelled table, or labelled images for an image model")
    .option("--labels <file>", "IDX labels file, for IDX images")
    .option("--target <column>", "the label column, if not the one the model was trained on")
    .option("--json", "print the metrics as JSON")
    .option("--threads <n>", "ONNX Runtime threads (0: one per core)")
    .action(async (opts) => (await import("./predict.js")).evalCommand(opts));

  p.command("generate")
    .description("continue a prompt with a language model file (transformer, lstm-lm), printed as it is written")
    .requiredOption("--model <file>", "language model file")
    .requiredOption("--prompt <text>", "the text to continue")
    .option("--max-tokens <n>", "tokens to write at most (default 100)")
    .option("--temperature <x>", "0: the most likely token each step (default 1)")
    .option("--top-k <n>", "sample among the k most likely tokens (0: all)")
    .option("--top-p <p>", "sample among the most likely tokens covering probability p")
    .option("--seed <n>", "random seed of the sampling (default 42)")
    .option("--stop <text...>", "end before any of these strings")
    .option("--threads <n>", "ONNX Runtime threads (0: one per core)")
    .action(async (opts) => (await import("./predict.js")).generateCommand(opts));
  p.command("recommend")
    .description("a user's best items from a recommender model file (mf, bpr, popularity)")
    .requiredOption("--model <file>", "recommender model file")
    .requiredOption("--user <id>", "the user")
    .option("--k <n>", "how many items (default 10)")
    .option("--include-seen", "keep the items the user interacted with in training")
    .option("--threads <n>", "ONNX Runtime threads (0: one per core)")
    .option("--json", "one JSON object")
    .action(async (opts) => (await import("./predict.js")).recommendCommand(opts));
  p.command("inspect")
    .description("show a model file's card: inputs, outputs, features, labels, spec, metrics")
    .argument("<model>", "model file (.onnx)")
    .option("--json", "print the card as JSON")
    .action(async (file, opts) => (await import("./predict.js")).inspectCommand(file, opts));

  p.command("serve")
    .description("run the platform: HTTP API, training jobs, predictions (embedded SQLite and files)")
    .option("--port <port>", "HTTP port (env PORT)", undefined)
    .option("--home <dir>", "data folder (env MAAS_HOME)")
    .option("--host <address>", "address to listen on (env MAAS_HOST)")
    .action(async (opts) => (await import("./serve.js")).serveCommand(opts));

  p.command("demo")
    .description("train an MLP on generated data and print its learning curve")
    .action(async () => (await import("./demo.js")).demo((line) => process.stdout.write(line + "\n")));

  // The program's own options (--version) only before a command: `remote predict --version N` is the command's.
  p.enablePositionalOptions();
  registerRemoteCommands(p);
  registerKeysCommands(p);
  return p;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isMaasError(e) && e.code === "bad_input") {
      process.stderr.write(`maas: ${e.message}\n`);
      return 2;
    }
    const detail = process.env.MAAS_DEBUG && e instanceof Error ? (e.stack ?? e.message) : e instanceof Error ? e.message : String(e);
    process.stderr.write(`maas: internal error: ${detail}\n`);
    return 1;
  }
}

// A reader that goes away (`maas predict ... | head`) ends the output, not with a crash.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
