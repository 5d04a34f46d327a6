/// The text of `graph-dump --help`, within 80 columns.
enum HelpText {
  static let help = """
    USAGE: graph-dump [options] GRAPH.json
           graph-dump --checkpoint FILE [GRAPH.json]

    Shows a Frost graph file (Graph.export(to:)): its nodes grouped by name scope
    with op, dtype, static shape and inputs; its variables, trainable or frozen;
    parameters and FLOPs per example per scope. Also the plan a session would
    run, and what a checkpoint holds.

    OPTIONS:
      --fetch NAME        Show the plan that fetches the tensor NAME, as
                          Session.explain gives it (repeat the flag, or give
                          NAME,NAME, for several).
      --feed NAME         Feed NAME in that plan: nothing upstream of it runs.
      --target NAME       Run the operation NAME in that plan (a training op).
      --trainable REGEX   Mark as trainable only the trainable variables whose
                          names match REGEX at their start, as
                          Graph.trainableVariables(scope:) picks what a
                          training op trains ('hidden[34]|outputs'); mark the
                          others frozen.
      --checkpoint FILE   Summarize a safetensors checkpoint: each tensor's
                          dtype, shape, mean, std, min and max, and how its keys
                          match the graph's variables. GRAPH.json is optional.
      --dot               Print Graphviz DOT instead of text: a cluster per name
                          scope, variables styled by mark, the plan highlighted.
      --svg FILE          Also render that picture to FILE with Graphviz's dot.
      --png FILE          Also render it to FILE as PNG.
      --json              Print the same facts as JSON instead of text.
      --version           Print the version.
      -h, --help          Print this help.

    OUTPUT: the graph table, unless a plan or a checkpoint is asked for; then the
    plan and the checkpoint summary. --json holds the same sections. --svg and
    --png write the picture besides whatever goes to standard output.

    NAMES: a tensor is named as in the graph ('hidden2/Relu', 'split:1'). A name
    scope that is no node's name ('hidden2') stands for its output: the last
    operation created directly in the scope that has outputs and is not a
    variable ('hidden2/Relu').

    MARKS: trainable = in the trainable collection (and matching --trainable).
    frozen = any other variable that is not optimizer state (batch norm's moving
    statistics too). state = optimizer bookkeeping outside the trainable
    collection: inputs of update ops (slots, Adam's beta powers) and integer
    variables that an assign other than their initializer writes (a global
    step). Parameters count the elements of trainable and frozen variables;
    optimizer state is counted apart.

    FLOPS PER EXAMPLE: each op costs what it would on a batch of one, every
    unknown dimension (the batch) taken as 1. MatMul [m,k]x[k,n]: 2*m*k*n, so
    [?,784]x[784,300] is 470,400. Matrix inverse, solve, determinant, Cholesky:
    n^3 per [n,n] matrix. Ops that only move, reshape or hold data (Reshape,
    Transpose, Concat, Gather, Const, Variable, Assign...): 0. Every other op:
    the element count of its largest input or output (elementwise ops: their
    elements; reductions: the elements reduced; an optimizer update: its
    variable's elements, counted once). Nodes that only initialize variables are
    not counted ("init"); ops with a shape of unknown rank are not ("?").

    EXIT STATUS: 0 success; 1 bad usage: an unknown option, a missing value, a
    name the graph does not have (with the closest names); 2 a graph or
    checkpoint file missing or invalid, a picture that cannot be written, or
    Graphviz's dot not installed.

    """
}
