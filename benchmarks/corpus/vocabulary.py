"""The words of the synthetic corpus: real ML concepts in four languages (en, ja, zh, ko), data sets,
method names and people's names. Plain data, no Django: the load scripts read BENCH_TERMS from here."""

from __future__ import annotations

from dataclasses import dataclass

#: Search terms the benchmark uses, one per summary language; each hits roughly 1–5% of papers.
BENCH_TERMS = {"ja": "強化学習", "zh": "扩散模型", "ko": "언어 모델", "en": "diffusion"}


@dataclass(frozen=True, eq=False)  # compared by identity: each term is one object
class Term:
    en: str
    ja: str
    zh: str
    ko: str

    def get(self, language: str) -> str:
        return getattr(self, language)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _terms(table: str) -> tuple[Term, ...]:
    rows = []
    for line in table.strip().splitlines():
        en, ja, zh, ko = (cell.strip() for cell in line.split("|"))
        rows.append(Term(en, ja, zh, ko))
    return tuple(rows)


# Methods and models, most common first (their draw weights fall off as 1/rank).
METHODS = _terms("""
transformers | トランスフォーマー | Transformer模型 | 트랜스포머
fine-tuning | ファインチューニング | 微调 | 미세 조정
pretraining | 事前学習 | 预训练 | 사전 학습
attention mechanisms | 注意機構 | 注意力机制 | 어텐션 메커니즘
self-supervised learning | 自己教師あり学習 | 自监督学习 | 자기 지도 학습
contrastive learning | 対照学習 | 对比学习 | 대조 학습
graph neural networks | グラフニューラルネットワーク | 图神经网络 | 그래프 신경망
retrieval-augmented generation | 検索拡張生成 | 检索增强生成 | 검색 증강 생성
in-context learning | 文脈内学習 | 上下文学习 | 문맥 내 학습
knowledge distillation | 知識蒸留 | 知识蒸馏 | 지식 증류
chain-of-thought prompting | 思考の連鎖プロンプティング | 思维链提示 | 사고의 사슬 프롬프팅
convolutional neural networks | 畳み込みニューラルネットワーク | 卷积神经网络 | 합성곱 신경망
instruction tuning | 指示チューニング | 指令微调 | 지시 튜닝
mixture of experts | 混合エキスパート | 混合专家模型 | 전문가 혼합
low-rank adaptation | 低ランク適応 | 低秩适配 | 저랭크 적응
quantization | 量子化 | 量化 | 양자화
preference optimization | 選好最適化 | 偏好优化 | 선호 최적화
reward models | 報酬モデル | 奖励模型 | 보상 모델
data augmentation | データ拡張 | 数据增强 | 데이터 증강
federated learning | 連合学習 | 联邦学习 | 연합 학습
multimodal learning | マルチモーダル学習 | 多模态学习 | 멀티모달 학습
state space models | 状態空間モデル | 状态空间模型 | 상태 공간 모델
representation learning | 表現学習 | 表示学习 | 표현 학습
domain adaptation | ドメイン適応 | 领域自适应 | 도메인 적응
synthetic data | 合成データ | 合成数据 | 합성 데이터
embeddings | 埋め込み表現 | 嵌入表示 | 임베딩
LLM agents | LLMエージェント | 大模型智能体 | LLM 에이전트
tool use | ツール利用 | 工具调用 | 도구 사용
few-shot learning | 少数ショット学習 | 小样本学习 | 퓨샷 학습
continual learning | 継続学習 | 持续学习 | 지속 학습
generative adversarial networks | 敵対的生成ネットワーク | 生成对抗网络 | 생성적 적대 신경망
variational autoencoders | 変分オートエンコーダ | 变分自编码器 | 변분 오토인코더
pruning | 枝刈り | 剪枝 | 가지치기
imitation learning | 模倣学習 | 模仿学习 | 모방 학습
autoregressive models | 自己回帰モデル | 自回归模型 | 자기회귀 모델
meta-learning | メタ学習 | 元学习 | 메타 학습
semi-supervised learning | 半教師あり学習 | 半监督学习 | 준지도 학습
world models | 世界モデル | 世界模型 | 월드 모델
multi-agent systems | マルチエージェントシステム | 多智能体系统 | 다중 에이전트 시스템
flow matching | フローマッチング | 流匹配 | 플로 매칭
uncertainty estimation | 不確実性推定 | 不确定性估计 | 불확실성 추정
causal inference | 因果推論 | 因果推断 | 인과 추론
neural radiance fields | ニューラル放射場 | 神经辐射场 | 신경 방사장
Gaussian splatting | ガウシアンスプラッティング | 高斯泼溅 | 가우시안 스플래팅
speculative decoding | 投機的デコーディング | 推测解码 | 추측 디코딩
direct preference optimization | 直接選好最適化 | 直接偏好优化 | 직접 선호 최적화
parameter-efficient fine-tuning | 効率的ファインチューニング | 参数高效微调 | 효율적 미세 조정
adversarial training | 敵対的訓練 | 对抗训练 | 적대적 훈련
differential privacy | 差分プライバシー | 差分隐私 | 차등 프라이버시
Bayesian inference | ベイズ推論 | 贝叶斯推断 | 베이즈 추론
test-time scaling | テスト時スケーリング | 测试时扩展 | 테스트 시간 스케일링
long-context modeling | 長文脈モデリング | 长上下文建模 | 긴 문맥 모델링
masked autoencoders | マスク付きオートエンコーダ | 掩码自编码器 | 마스크드 오토인코더
model merging | モデルマージ | 模型合并 | 모델 병합
sparse attention | スパース注意 | 稀疏注意力 | 희소 어텐션
key-value cache compression | KVキャッシュ圧縮 | KV缓存压缩 | KV 캐시 압축
policy gradient methods | 方策勾配法 | 策略梯度方法 | 정책 경사 방법
Gaussian processes | ガウス過程 | 高斯过程 | 가우시안 프로세스
variational inference | 変分推論 | 变分推断 | 변분 추론
optimal transport | 最適輸送 | 最优传输 | 최적 수송
active learning | 能動学習 | 主动学习 | 능동 학습
neural architecture search | ニューラルアーキテクチャ探索 | 神经架构搜索 | 신경망 구조 탐색
curriculum learning | カリキュラム学習 | 课程学习 | 커리큘럼 학습
recurrent neural networks | 再帰型ニューラルネットワーク | 循环神经网络 | 순환 신경망
tokenization | トークン化 | 分词 | 토큰화
scaling laws | スケーリング則 | 缩放定律 | 스케일링 법칙
sparse autoencoders | スパースオートエンコーダ | 稀疏自编码器 | 희소 오토인코더
mechanistic interpretability | 機械論的解釈可能性 | 机制可解释性 | 기계론적 해석 가능성
energy-based models | エネルギーベースモデル | 基于能量的模型 | 에너지 기반 모델
normalizing flows | 正規化フロー | 标准化流 | 정규화 흐름
Monte Carlo tree search | モンテカルロ木探索 | 蒙特卡洛树搜索 | 몬테카를로 트리 탐색
vector quantization | ベクトル量子化 | 向量量化 | 벡터 양자화
neural operators | ニューラル作用素 | 神经算子 | 신경 연산자
physics-informed neural networks | 物理情報ニューラルネットワーク | 物理信息神经网络 | 물리 정보 신경망
kernel methods | カーネル法 | 核方法 | 커널 방법
stochastic gradient descent | 確率的勾配降下法 | 随机梯度下降 | 확률적 경사 하강법
model-based planning | モデルベース計画 | 基于模型的规划 | 모델 기반 계획
offline policy learning | オフライン方策学習 | 离线策略学习 | 오프라인 정책 학습
spiking neural networks | スパイキングニューラルネットワーク | 脉冲神经网络 | 스파이킹 신경망
point cloud networks | 点群ネットワーク | 点云网络 | 포인트 클라우드 네트워크
hallucination detection | 幻覚検出 | 幻觉检测 | 환각 탐지
""")

# Main topics that contain a bench term in some language. They are never drawn as a side concept, only
# as a paper's main topic, with these shares of papers (tuned so each bench term hits 1–5% of papers).
BENCH_TOPICS: tuple[tuple[Term, float], ...] = tuple(
    zip(
        _terms("""
large language models | 大規模言語モデル | 大语言模型 | 대규모 언어 모델
language models | 言語モデル | 语言模型 | 언어 모델
vision-language models | 視覚言語モデル | 视觉语言模型 | 비전-언어 모델
reinforcement learning | 強化学習 | 强化学习 | 강화 학습
RLHF | 人間のフィードバックからの強化学習 | 基于人类反馈的强化学习 | 인간 피드백 기반 강화 학습
diffusion models | 拡散モデル | 扩散模型 | 확산 모델
"""),
        (0.08, 0.02, 0.02, 0.03, 0.01, 0.04),
        strict=True,
    )
)

TASKS = _terms("""
question answering | 質問応答 | 问答 | 질의응답
image classification | 画像分類 | 图像分类 | 이미지 분류
code generation | コード生成 | 代码生成 | 코드 생성
mathematical reasoning | 数学的推論 | 数学推理 | 수학적 추론
object detection | 物体検出 | 目标检测 | 객체 탐지
machine translation | 機械翻訳 | 机器翻译 | 기계 번역
image generation | 画像生成 | 图像生成 | 이미지 생성
text summarization | テキスト要約 | 文本摘要 | 텍스트 요약
semantic segmentation | セマンティックセグメンテーション | 语义分割 | 의미론적 분할
recommender systems | 推薦システム | 推荐系统 | 추천 시스템
speech recognition | 音声認識 | 语音识别 | 음성 인식
robot manipulation | ロボット操作 | 机器人操作 | 로봇 조작
time series forecasting | 時系列予測 | 时间序列预测 | 시계열 예측
video generation | 動画生成 | 视频生成 | 비디오 생성
information retrieval | 情報検索 | 信息检索 | 정보 검색
autonomous driving | 自動運転 | 自动驾驶 | 자율 주행
dialogue systems | 対話システム | 对话系统 | 대화 시스템
medical image analysis | 医用画像解析 | 医学图像分析 | 의료 영상 분석
anomaly detection | 異常検知 | 异常检测 | 이상 탐지
video understanding | 動画理解 | 视频理解 | 비디오 이해
3D reconstruction | 三次元再構成 | 三维重建 | 3차원 재구성
visual question answering | 視覚的質問応答 | 视觉问答 | 시각적 질의응답
speech synthesis | 音声合成 | 语音合成 | 음성 합성
sentiment analysis | 感情分析 | 情感分析 | 감성 분석
document understanding | 文書理解 | 文档理解 | 문서 이해
drug discovery | 創薬 | 药物发现 | 신약 개발
molecule generation | 分子生成 | 分子生成 | 분자 생성
protein structure prediction | タンパク質構造予測 | 蛋白质结构预测 | 단백질 구조 예측
image captioning | 画像キャプション生成 | 图像描述生成 | 이미지 캡셔닝
pose estimation | 姿勢推定 | 姿态估计 | 자세 추정
depth estimation | 深度推定 | 深度估计 | 깊이 추정
named entity recognition | 固有表現抽出 | 命名实体识别 | 개체명 인식
link prediction | リンク予測 | 链接预测 | 링크 예측
graph classification | グラフ分類 | 图分类 | 그래프 분류
music generation | 音楽生成 | 音乐生成 | 음악 생성
program synthesis | プログラム合成 | 程序合成 | 프로그램 합성
fact verification | 事実検証 | 事实核查 | 사실 검증
weather forecasting | 気象予測 | 天气预报 | 기상 예측
theorem proving | 定理証明 | 定理证明 | 정리 증명
text-to-SQL parsing | テキストからSQLへの変換 | 文本到SQL解析 | 텍스트-SQL 변환
""")

# The arXiv category a task's papers are filed under first.
TASK_CATEGORY = dict(
    zip(
        [task.en for task in TASKS],
        _words(
            "cs.CL cs.CV cs.SE cs.AI cs.CV cs.CL cs.CV cs.CL cs.CV cs.IR eess.AS cs.RO cs.LG cs.CV cs.IR "
            "cs.RO cs.CL eess.IV cs.LG cs.CV cs.CV cs.CV eess.AS cs.CL cs.CV q-bio.BM q-bio.BM q-bio.BM "
            "cs.CV cs.CV cs.CV cs.CL cs.SI cs.LG cs.SD cs.PL cs.CL physics.comp-ph cs.LO cs.DB"
        ),
        strict=True,
    )
)

PROPERTIES = _terms("""
generalization | 汎化性能 | 泛化能力 | 일반화 성능
robustness | 頑健性 | 鲁棒性 | 강건성
sample efficiency | サンプル効率 | 样本效率 | 샘플 효율성
inference efficiency | 推論効率 | 推理效率 | 추론 효율성
accuracy | 精度 | 准确率 | 정확도
training stability | 学習の安定性 | 训练稳定性 | 학습 안정성
scalability | スケーラビリティ | 可扩展性 | 확장성
interpretability | 解釈可能性 | 可解释性 | 해석 가능성
memory usage | メモリ使用量 | 内存占用 | 메모리 사용량
safety | 安全性 | 安全性 | 안전성
fairness | 公平性 | 公平性 | 공정성
calibration | 較正 | 校准 | 보정
alignment | アラインメント | 对齐 | 정렬
privacy | プライバシー | 隐私保护 | 프라이버시
""")

DATASETS = _words(
    "ImageNet COCO ADE20K CIFAR-100 GSM8K MATH MMLU HumanEval MBPP SWE-bench LibriSpeech WMT14 SQuAD "
    "HotpotQA GLUE SuperGLUE BIG-bench ARC KITTI nuScenes ScanNet ShapeNet Atari MuJoCo D4RL Meta-World "
    "MIMIC-IV OGB QM9 PDBbind ETTh1 M4 MovieLens MS-MARCO BEIR LongBench AlpacaEval MT-Bench Kinetics-400 "
    "UCF101 VQAv2 GQA TextVQA DocVQA ChartQA CommonVoice ERA5 miniF2F Spider"
)

NAME_HEADS = _words(
    "Flash Tiny Deep Hyper Meta Open Omni Sparse Quant Fast Neuro Auto Self Graph Vision Speech Code Math "
    "Mem Long Uni Poly Pro Lite Mini Max Star Sky Nova Echo Atlas Orbit Prism Pulse Delta Sigma Zeta Lumen "
    "Astra Vega Ember Cobalt Onyx Aurora Helix Vertex Nexus Fusion"
)
NAME_TAILS = _words(
    "Former Net GPT Mixer Gen Bench Agent Coder Bot Seg Det Fusion Flow Diff Align Tune Prompt Search Plan "
    "Mind Vid Voice Mol Fold Cast Graph Rank Sum Trans Scale Guard Lens Fuse Mamba Mo Kit Core Sight"
)
ADJECTIVES = _words(
    "Scalable Efficient Robust Unified Adaptive Lightweight Provable Fast Hierarchical Sparse "
    "Self-Improving Multiscale Generalizable Interpretable Data-Efficient Training-Free Compositional "
    "Continual Faithful Controllable Calibrated Modular"
)


# People's names, drawn by texts.author_names as arXiv prints them.
FIRST_NAMES = _words(
    "Wei Jing Yu Hao Xin Yang Li Jie Lei Tao Ming Chen Yuki Takashi Haruto Sota Yui Hina Kenji Aiko Daiki "
    "Ryo Minjun Seoyeon Jiho Hyun Jisoo Yejin Donghyun Sungmin Eunji Taeyang Anna Maria Laura Sarah Emma "
    "Julia Sofia Elena Clara Alice Hannah Olivia Chloe Lena Marta Ines Priya Ananya Aditi Neha Kavya Rahul "
    "Arjun Vikram Rohan Aditya Karthik Sanjay Michael David James John Robert Daniel Thomas Matthew Andrew "
    "Christopher Alexander Benjamin Samuel Jonathan Nicholas Lukas Felix Jonas Maximilian Pierre Antoine "
    "Julien Mathieu Luca Marco Giovanni Alessandro Pablo Diego Carlos Javier Mateo Ivan Dmitri Sergei "
    "Mikhail Olga Natalia Yusuf Omar Ahmed Fatima Layla Noah Liam Ethan Lucas Mason Logan Owen Leo Mia Zoe "
    "Nora Ava Isabella Amelia Grace Ruth Tomas Erik Anders Nils Sven Ingrid Astrid Kai Ali Reza Sara "
    "Mohammad Hassan Tuan Linh Minh Thanh Duc Kwame Ama Chidi Ngozi Tunde Rafael Bruno Thiago Gabriel "
    "Beatriz Camila"
)
LAST_NAMES = _words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie "
    "Tang Han Cao Deng Feng Song Jiang Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura "
    "Kobayashi Kato Yoshida Yamada Sasaki Matsumoto Inoue Kimura Kim Lee Park Choi Jung Kang Cho Yoon Jang "
    "Lim Han Shin Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson White Harris Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart "
    "Morris Murphy Cook Rogers Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Dubois Durand Lefebvre Moreau Laurent Simon Michel Rossi Russo Ferrari Esposito Bianchi Romano Garcia "
    "Martinez Rodriguez Lopez Hernandez Gonzalez Perez Sanchez Ramirez Torres Ivanov Smirnov Kuznetsov "
    "Popov Petrov Sokolov Kumar Sharma Singh Gupta Patel Reddy Iyer Nair Rao Agarwal Mehta Joshi Khan Ahmed "
    "Hussain Rahman Nguyen Tran Pham Hoang Vu Dang Bui Do Ngo Silva Santos Oliveira Souza Costa Pereira "
    "Almeida Andersson Johansson Larsson Nilsson Hansen Jensen Nielsen Kowalski Nowak Novak Horvat Yilmaz "
    "Kaya Demir Cohen Levi Mensah Okafor Adeyemi Okoro Mwangi Ochieng"
)
INITIALS = "ABCDEFGHJKLMNPRSTVWXYZ"
