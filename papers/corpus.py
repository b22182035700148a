"""A synthetic but realistic catalogue for benchmarks: ``python manage.py generate_corpus``.

What it looks like, and why:

* Papers from 2019 to late 2026, more every year; arXiv ids ``YYMM.NNNNN`` numbered within their month in
  date order, as arXiv does; about 2% without an arXiv id (matched by title, slug from the title).
* Authors with a long-tailed productivity (Lotka's law: a Pareto weight per author, capped, so a few
  authors sign hundreds of papers and most one or two), 2–12 per paper.
* arXiv categories from ``papers.ingest.categories``: the home category of the paper's task first, then
  cross-lists weighted towards cs.LG, cs.AI and stat.ML; 1–4 per paper.
* Digests of 5–50 entries from the four sources the importer knows (same slugs and names), filled in
  date order; most papers are in one digest, some in two or three (each from another source, as a
  paper appears once per digest). Each entry brings the summaries its family carries (arxiv.jp a
  Japanese abstract, the Chinese digest a zh summary and title and a reading score, …), 1–4 per paper,
  in ja/zh/ko/en, every one pointing at its digest entry as the importer's do.
* Text is written from templates and a table of real ML concepts in four languages, so that Japanese
  has kana and kanji, Chinese is Han, Korean is Hangul with the right particles, and the same concept
  appears in every language of a paper. Concepts are drawn with Zipf weights (some common, some rare);
  the concepts that contain :data:`BENCH_TERMS` are only a paper's main topic, with weights set so that
  each bench term hits 1–5% of papers in its language.

How it is written, and why (1M papers, ~3M summaries on two cores):

* A plan decides every row's ids and relations first (dates, arXiv ids, authors, digests, entries,
  which summaries each entry brings, links, scores), deterministically for the seed. Texts are written
  later, chunk by chunk of papers, each chunk from its own random stream: the same seed gives the same
  corpus whatever the number of worker processes.
* Rows go in with COPY. Each paper's derived columns (search vector, languages, facet id arrays…) are
  computed while it is written: the documents refresh_papers would build are copied into a temporary
  table and turned into columns by the same SQL expressions as ``papers.search.index._UPDATE`` (an INSERT
  … SELECT, so no row is written twice). tests/test_generate_corpus.py proves that ``refresh_all()``
  then changes nothing.
* Outside a transaction, two forked worker processes write chunks through their own connections while
  the parent writes authors and digests beside them; foreign-key triggers are skipped
  (``session_replication_role = replica``, where the role may set it) because the rows are consistent
  by construction; commits are asynchronous. Inside a transaction (tests) one connection writes
  everything and the deferred foreign-key checks run as usual.
* Where the time goes (1M papers): about two thirds in PostgreSQL, mostly ``to_tsvector`` on ~2 kB of
  bigram text per paper and the GIN index on the search vector; the rest is Python (texts, CJK
  bigrams, COPY). Indexes are kept during the load: see the note above the VACUUM.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import itertools
import multiprocessing
import os
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from django.apps import apps
from django.db import connection, connections, transaction
from tqdm import tqdm

from papers.backup import CATALOGUE_MODELS, catalogue_is_empty
from papers.identifiers import match_key
from papers.ingest.categories import ARXIV_CATEGORY_NAMES
from papers.ingest.families import SOURCES
from papers.models import Digest, ImportJob, ImportJobFile, Paper, Source, paper_slug
from papers.search.cache import record_catalogue_change
from papers.search.index import _WEIGHT_BY_KIND, SCORE_SCALES
from papers.search.text import index_text

#: Search terms the benchmark uses, one per summary language; each hits roughly 1–5% of papers.
BENCH_TERMS = {"ja": "強化学習", "zh": "扩散模型", "ko": "언어 모델", "en": "diffusion"}


# --------------------------------------------------------------------------------------------------------
# Vocabulary: real ML concepts in four languages (en, ja, zh, ko)


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

_NAME_HEADS = _words(
    "Flash Tiny Deep Hyper Meta Open Omni Sparse Quant Fast Neuro Auto Self Graph Vision Speech Code Math "
    "Mem Long Uni Poly Pro Lite Mini Max Star Sky Nova Echo Atlas Orbit Prism Pulse Delta Sigma Zeta Lumen "
    "Astra Vega Ember Cobalt Onyx Aurora Helix Vertex Nexus Fusion"
)
_NAME_TAILS = _words(
    "Former Net GPT Mixer Gen Bench Agent Coder Bot Seg Det Fusion Flow Diff Align Tune Prompt Search Plan "
    "Mind Vid Voice Mol Fold Cast Graph Rank Sum Trans Scale Guard Lens Fuse Mamba Mo Kit Core Sight"
)
_ADJECTIVES = _words(
    "Scalable Efficient Robust Unified Adaptive Lightweight Provable Fast Hierarchical Sparse "
    "Self-Improving Multiscale Generalizable Interpretable Data-Efficient Training-Free Compositional "
    "Continual Faithful Controllable Calibrated Modular"
)


# --------------------------------------------------------------------------------------------------------
# Sentence templates. Slots: F main topic, S1–S3 side concepts, T task, P property, D1–D3 data sets,
# N the method's name, X a percentage, Y a speed-up. Korean slots take a particle suffix (see _ko_forms).

_EN = {
    "intro": (
        "Recent advances in {F} have transformed {T}.",
        "{Tc} remains a central challenge in machine learning.",
        "Progress in {T} has been driven largely by {S1}.",
        "{Fc} are increasingly used for {T}, yet their behaviour is poorly understood.",
    ),
    "problem": (
        "However, existing approaches based on {S1} suffer from limited {P} and high computational cost.",
        "Despite their success, current methods struggle to maintain {P} when applied to {T}.",
        "A key obstacle is that {S1} scales poorly with the size of the training data.",
        "Prior work largely ignores {P}, which limits its use in real-world {T}.",
    ),
    "method": (
        "In this paper, we propose {N}, a framework that combines {F} with {S1} to improve {P}.",
        "We introduce {N}, a novel approach to {T} based on {F}.",
        "We present {N}, which leverages {F}, {S1} and {S2} to address this limitation.",
        "To this end, we develop {N}, a simple recipe that adapts {F} to {T} with {S1}.",
    ),
    "details": (
        "Our method uses {S2} to guide {S3} during training.",
        "Specifically, we formulate {T} as a problem of {S2} and solve it with {S3}.",
        "The key idea is to replace {S2} with a lightweight module trained by {S3}.",
        "We further show that {S2} provides a principled way to regularize {S3}.",
    ),
    "experiments": (
        "We evaluate {N} on {D1}, {D2} and {D3}.",
        "Extensive experiments on {D1} and {D2} demonstrate the effectiveness of our approach.",
        "We conduct experiments on {D1} and a new benchmark derived from {D2}.",
    ),
    "results": (
        "{N} improves {P} by {X}% over strong baselines while reducing inference cost by {Y}x.",
        "Our approach achieves state-of-the-art results on {D1}, outperforming prior work by {X} points.",
        "Compared with {S1}, {N} reaches the same accuracy with {Y}x less compute.",
    ),
    "conclusion": (
        "These results suggest that {F} is a promising direction for {T}.",
        "Code and models are publicly available.",
        "We also analyse {P} and discuss the limitations of our method.",
    ),
}

_JA = {
    "intro": (
        "近年、{F}は{T}において目覚ましい成果を上げている。",
        "{T}は機械学習における重要な課題の一つである。",
        "{S1}の発展により、{T}の性能は大きく向上した。",
        "{F}は{T}に広く用いられているが、その振る舞いは十分に理解されていない。",
    ),
    "problem": (
        "しかし、既存の{S1}に基づく手法は{P}に課題があり、計算コストも大きい。",
        "一方で、従来手法は{T}に適用した際に{P}が低下するという問題を抱えている。",
        "特に、{S1}は学習データの規模に対してスケールしにくい。",
        "先行研究の多くは{P}を考慮しておらず、実世界の{T}への適用が難しい。",
    ),
    "method": (
        "本論文では、{F}と{S1}を組み合わせることで{P}を改善する手法{N}を提案する。",
        "本研究では、{F}に基づく{T}の新しい枠組み{N}を提案する。",
        "我々は{F}、{S1}および{S2}を活用した{N}を提案し、この問題に取り組む。",
        "そこで、{S1}を用いて{F}を{T}に適応させる簡潔な手法{N}を開発した。",
    ),
    "details": (
        "提案手法では、{S2}を用いて学習中の{S3}を誘導する。",
        "具体的には、{T}を{S2}の問題として定式化し、{S3}によって解く。",
        "鍵となるアイデアは、{S2}を{S3}で学習した軽量なモジュールに置き換えることである。",
        "さらに、{S2}が{S3}を正則化する原理的な方法を与えることを示す。",
    ),
    "experiments": (
        "{D1}、{D2}および{D3}で{N}を評価した。",
        "{D1}と{D2}を用いた大規模な実験により、提案手法の有効性を確認した。",
        "{D1}と、{D2}から構築した新しいベンチマークで実験を行った。",
    ),
    "results": (
        "{N}は強力なベースラインと比べて{P}を{X}%向上させ、推論コストを{Y}分の1に削減した。",
        "提案手法は{D1}において最先端の性能を達成し、従来手法を{X}ポイント上回った。",
        "{N}は{S1}と同等の精度を{Y}分の1の計算量で達成した。",
    ),
    "conclusion": (
        "これらの結果は、{F}が{T}にとって有望な方向性であることを示唆している。",
        "コードとモデルは公開されている。",
        "さらに、{P}に関する分析を行い、本手法の限界についても議論する。",
    ),
}

_ZH = {
    "intro": (
        "近年来，{F}在{T}领域取得了显著进展。",
        "{T}是机器学习中的核心问题之一。",
        "{S1}的发展极大地推动了{T}的进步。",
        "{F}已被广泛用于{T}，但其行为机制仍缺乏深入理解。",
    ),
    "problem": (
        "然而，现有基于{S1}的方法在{P}方面存在不足，且计算开销较大。",
        "尽管取得了成功，现有方法在应用于{T}时仍难以保证{P}。",
        "一个关键难点在于{S1}难以随训练数据规模增长。",
        "已有工作大多忽视了{P}，限制了其在真实{T}场景中的应用。",
    ),
    "method": (
        "本文提出了{N}，一种将{F}与{S1}相结合以提升{P}的框架。",
        "我们提出了一种基于{F}的{T}新方法{N}。",
        "我们提出{N}，利用{F}、{S1}和{S2}来解决这一局限。",
        "为此，我们设计了{N}，借助{S1}将{F}适配到{T}任务。",
    ),
    "details": (
        "该方法利用{S2}在训练过程中引导{S3}。",
        "具体而言，我们将{T}建模为{S2}问题，并通过{S3}求解。",
        "其核心思想是用通过{S3}训练的轻量模块替代{S2}。",
        "我们进一步证明{S2}为正则化{S3}提供了一种有原则的方法。",
    ),
    "experiments": (
        "我们在{D1}、{D2}和{D3}上评估了{N}。",
        "在{D1}和{D2}上的大量实验验证了该方法的有效性。",
        "我们在{D1}以及基于{D2}构建的新基准上进行了实验。",
    ),
    "results": (
        "与强基线相比，{N}将{P}提升了{X}%，同时将推理成本降低了{Y}倍。",
        "该方法在{D1}上取得了最先进的结果，比先前工作高出{X}个百分点。",
        "与{S1}相比，{N}以{Y}分之一的计算量达到了相同的精度。",
    ),
    "conclusion": (
        "这些结果表明，{F}是{T}的一个有前景的研究方向。",
        "代码和模型已公开。",
        "我们还分析了{P}，并讨论了方法的局限性。",
    ),
}

_KO = {
    "intro": (
        "최근 {F_i} {T} 분야에서 눈부신 성과를 거두고 있다.",
        "{T_n} 머신러닝의 핵심 과제 중 하나이다.",
        "{S1}의 발전으로 {T}의 성능이 크게 향상되었다.",
        "{F_n} {T}에 널리 사용되고 있지만 그 동작은 충분히 이해되지 않았다.",
    ),
    "problem": (
        "그러나 기존의 {S1} 기반 방법은 {P} 측면에서 한계가 있으며 계산 비용도 크다.",
        "이러한 성공에도 불구하고 기존 방법은 {T}에 적용될 때 {P_r} 보장하기 어렵다.",
        "핵심적인 어려움은 {S1_i} 학습 데이터 규모에 따라 잘 확장되지 않는다는 점이다.",
        "기존 연구 대부분은 {P_r} 고려하지 않아 실제 {T}에 적용하기 어렵다.",
    ),
    "method": (
        "본 논문에서는 {F_w} {S1_r} 결합하여 {P_r} 향상시키는 프레임워크 {N_r} 제안한다.",
        "우리는 {F}에 기반한 새로운 {T} 방법 {N_r} 제안한다.",
        "우리는 {F}, {S1}, {S2_r} 활용하는 {N_r} 제안하여 이 한계를 해결한다.",
        "이를 위해 {S1_r} 이용하여 {F_r} {T}에 적응시키는 간단한 방법 {N_r} 개발하였다.",
    ),
    "details": (
        "제안 방법은 학습 과정에서 {S2_r} 이용해 {S3_r} 유도한다.",
        "구체적으로 {T_r} {S2} 문제로 정식화하고 {S3_ro} 해결한다.",
        "핵심 아이디어는 {S2_r} {S3_ro} 학습된 경량 모듈로 대체하는 것이다.",
        "또한 {S2_i} {S3_r} 정규화하는 원리적인 방법을 제공함을 보인다.",
    ),
    "experiments": (
        "{D1}, {D2}, {D3}에서 {N_r} 평가하였다.",
        "{D1_w} {D2}에 대한 광범위한 실험을 통해 제안 방법의 효과를 입증하였다.",
        "{D1} 및 {D2}에서 구축한 새로운 벤치마크에서 실험을 수행하였다.",
    ),
    "results": (
        "{N_i} 강력한 베이스라인 대비 {P_r} {X}% 향상시키고 추론 비용을 {Y}배 줄였다.",
        "제안 방법은 {D1}에서 최고 성능을 달성하여 기존 연구를 {X}포인트 앞섰다.",
        "{N_n} {S1}과 같은 정확도를 {Y}배 적은 계산량으로 달성하였다.",
    ),
    "conclusion": (
        "이러한 결과는 {F_i} {T}에 유망한 방향임을 시사한다.",
        "코드와 모델은 공개되어 있다.",
        "또한 {P}에 대한 분석을 제공하고 방법의 한계를 논의한다.",
    ),
}

TEMPLATES = {"en": _EN, "ja": _JA, "zh": _ZH, "ko": _KO}

TITLE_TEMPLATES = {
    "en": (
        "{A} {Ft} for {Tt}",
        "{N}: {Ft} with {S1t} for {Tt}",
        "On the {Pt} of {Ft} in {Tt}",
        "Towards {A} {Tt} via {Ft}",
        "{Ft} Meets {S1t}: {A} {Tt}",
        "{N}: {A} {Tt} with {Ft}",
        "When Do {Ft} Help {Tt}?",
    ),
    "ja": (
        "{T}のための{F}",
        "{N}: {S1}を用いた{F}による{T}",
        "{T}における{F}の{P}について",
        "{F}による効率的な{T}",
        "{F}と{S1}の統合による{T}の改善",
    ),
    "zh": (
        "面向{T}的{F}",
        "{N}：结合{S1}的{F}用于{T}",
        "论{F}在{T}中的{P}",
        "基于{F}的高效{T}",
        "融合{F}与{S1}改进{T}",
    ),
    "ko": (
        "{T_r} 위한 {F}",
        "{N}: {S1_r} 활용한 {F} 기반 {T}",
        "{T}에서 {F}의 {P}에 관하여",
        "{F_ro} 효율적인 {T}",
        "{F_w} {S1}의 통합을 통한 {T} 개선",
    ),
}

# The sections each summary kind is written from; sentences per section are drawn at random.
_ABSTRACT = ("intro", "problem", "method", "details", "details", "experiments", "results", "conclusion")
SECTIONS_BY_KIND = {
    "abstract": _ABSTRACT,
    "summary": ("method", "details", "results"),
    "background": ("intro", "problem", "problem"),
    "method": ("method", "details", "details"),
    "contributions": ("method", "details", "results"),
    "results": ("experiments", "results", "results"),
    "future_work": ("problem", "conclusion", "conclusion"),
    "analysis": ("problem", "details", "results", "conclusion"),
}


def _has_final_consonant(word: str) -> bool:
    """Whether the last syllable of a Korean word ends in a consonant (받침); decides the particle."""
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return last in "0136789LMNlmn"  # Latin letters and digits read with a final consonant


@functools.lru_cache(maxsize=4096)
def _ko_forms(name: str, word: str) -> dict[str, str]:
    final = _has_final_consonant(word)
    rieul = "가" <= word[-1] <= "힣" and (ord(word[-1]) - 0xAC00) % 28 == 8
    return {
        name: word,
        f"{name}_n": word + ("은" if final else "는"),  # topic
        f"{name}_i": word + ("이" if final else "가"),  # subject
        f"{name}_r": word + ("을" if final else "를"),  # object
        f"{name}_w": word + ("과" if final else "와"),  # and
        f"{name}_ro": word + ("으로" if final and not rieul else "로"),  # by means of
    }


@functools.lru_cache(maxsize=4096)
def _title_case(text: str) -> str:
    """ "few-shot learning" -> "Few-Shot Learning"; acronyms and mixed case stay as they are."""
    small = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "via", "with", "from"}

    def cap(word: str) -> str:
        return word[:1].upper() + word[1:] if word[:1].islower() else word

    words = text.split(" ")
    return " ".join(
        word if i and word in small else "-".join(cap(part) for part in word.split("-"))
        for i, word in enumerate(words)
    )


# --------------------------------------------------------------------------------------------------------
# One paper's texts


@dataclass(frozen=True)
class Topic:
    """What a paper is about: the same concepts are written in every language of the paper."""

    focus: Term
    side: tuple[Term, Term, Term]
    task: Term
    prop: Term
    datasets: tuple[str, str, str]
    name: str
    x: str
    y: str
    adjective: str


class _Weighted:
    """Draws items with fixed weights (bisect over cumulative weights: fast and deterministic)."""

    def __init__(self, items, weights) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def draws(self, rng: random.Random, count: int) -> list:
        return rng.choices(self.items, cum_weights=self.cumulative, k=count)


def _zipf(items, exponent: float = 1.0) -> _Weighted:
    return _Weighted(items, [1.0 / (rank**exponent) for rank in range(1, len(items) + 1)])


_OTHER_FOCUS = _zipf(METHODS, 0.8)
_FOCUS = _Weighted(
    [term for term, _ in BENCH_TOPICS] + list(METHODS),
    [share for _, share in BENCH_TOPICS]
    + [
        (1 - sum(share for _, share in BENCH_TOPICS)) * weight / _OTHER_FOCUS.total
        for weight in itertools.chain(
            [_OTHER_FOCUS.cumulative[0]],
            map(float.__sub__, _OTHER_FOCUS.cumulative[1:], _OTHER_FOCUS.cumulative),
        )
    ],
)
_SIDE = _zipf(METHODS, 1.0)
_TASK = _zipf(TASKS, 0.9)
_PROPERTY = _zipf(PROPERTIES, 0.8)
_DATASET = _zipf(DATASETS, 0.7)


def draw_topics(rng: random.Random, count: int) -> list[Topic]:
    """``count`` topics, each field drawn for all papers at once (a tenth of the time of one by one)."""
    focuses = _FOCUS.draws(rng, count)
    sides = _SIDE.draws(rng, 3 * count)
    datasets = _DATASET.draws(rng, 3 * count)
    tasks, props = _TASK.draws(rng, count), _PROPERTY.draws(rng, count)
    heads, tails = rng.choices(_NAME_HEADS, k=count), rng.choices(_NAME_TAILS, k=count)
    adjectives = rng.choices(_ADJECTIVES, k=count)
    topics = []
    for i, focus in enumerate(focuses):
        side = sides[3 * i : 3 * i + 3]
        while focus in side or len(set(side)) < 3:  # three distinct side concepts besides the topic
            side = [_SIDE.draw(rng) for _ in range(3)]
        suffix = str(rng.randint(2, 9)) if rng.random() < 0.1 else ""
        topics.append(
            Topic(
                focus=focus,
                side=(side[0], side[1], side[2]),
                task=tasks[i],
                prop=props[i],
                datasets=(datasets[3 * i], datasets[3 * i + 1], datasets[3 * i + 2]),
                name=heads[i] + tails[i] + suffix,
                x=f"{0.8 + 17.2 * rng.random():.1f}",
                y=f"{1.3 + 7.7 * rng.random():.1f}",
                adjective=adjectives[i],
            )
        )
    return topics


def _slots(topic: Topic, language: str) -> dict[str, str]:
    words = {
        "F": topic.focus.get(language),
        "S1": topic.side[0].get(language),
        "S2": topic.side[1].get(language),
        "S3": topic.side[2].get(language),
        "T": topic.task.get(language),
        "P": topic.prop.get(language),
        "D1": topic.datasets[0],
        "D2": topic.datasets[1],
        "D3": topic.datasets[2],
        "N": topic.name,
    }
    slots = {"X": topic.x, "Y": topic.y, "A": topic.adjective}
    if language == "ko":
        for key, word in words.items():
            slots.update(_ko_forms(key, word))
    else:
        slots.update(words)
    if language == "en":
        slots["Fc"] = words["F"][:1].upper() + words["F"][1:]
        slots["Tc"] = words["T"][:1].upper() + words["T"][1:]
        for key in ("F", "S1", "T", "P"):
            slots[f"{key}t"] = _title_case(words[key])
    return slots


def write_text(rng: random.Random, topic: Topic, language: str, kind: str) -> str:
    """A summary of ``kind`` in ``language``: a translated title, or sentences from the kind's sections."""
    slots = _slots(topic, language)
    if kind == "title":
        return rng.choice(TITLE_TEMPLATES[language]).format_map(slots)
    templates = TEMPLATES[language]
    sections = SECTIONS_BY_KIND[kind]
    if kind == "abstract" and rng.random() < 0.5:  # abstracts vary in length
        sections = (*sections[:4], "details", *sections[4:])
    chosen: list[str] = []
    for section in sections:
        template = rng.choice(templates[section])
        while template in chosen:  # a section used twice gives two different sentences
            template = rng.choice(templates[section])
        chosen.append(template)
    return (" " if language in ("en", "ko") else "").join(t.format_map(slots) for t in chosen)


def write_title(rng: random.Random, topic: Topic) -> str:
    return write_text(rng, topic, "en", "title")


# --------------------------------------------------------------------------------------------------------
# Authors

_FIRST_NAMES = _words(
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
_LAST_NAMES = _words(
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
_INITIALS = "ABCDEFGHJKLMNPRSTVWXYZ"


def author_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct names as arXiv prints them ("Wei Zhang", "Anna M. Schmidt", "J. K. Park")."""
    firsts, lasts = rng.choices(_FIRST_NAMES, k=count), rng.choices(_LAST_NAMES, k=count)
    initials, rolls = rng.choices(_INITIALS, k=count), [rng.random() for _ in range(count)]
    names: list[str] = []
    seen: set[str] = set()
    for first, last, initial, roll in zip(firsts, lasts, initials, rolls, strict=True):
        if roll < 0.55:
            name = f"{first} {last}"
        elif roll < 0.92:
            name = f"{first} {initial}. {last}"
        else:
            name = f"{first[0]}. {initial}. {last}"
        while name in seen:  # common names repeat: tell people apart the way they do, by initials
            name = f"{first} {rng.choice(_INITIALS)}. {rng.choice(_INITIALS)}. {last}"
        seen.add(name)
        names.append(name)
    return names


# --------------------------------------------------------------------------------------------------------
# The plan: every row's ids and relations, decided up front (texts are written later, paper by paper)

FIRST_DAY = date(2019, 1, 1)
LAST_DAY = date(2026, 11, 15)
YEARLY_GROWTH = 1.3  # each year has 30% more papers than the one before
CHUNK = 2000  # papers per write batch; also the unit of random streams for texts (fixed: determinism)

AUTHORS_PER_PAPER = _Weighted(range(2, 13), (8, 14, 17, 16, 13, 10, 7, 5, 4, 3, 3))
CATEGORIES_PER_PAPER = _Weighted(range(1, 5), (30, 40, 20, 10))
SUMMARIES_PER_PAPER = _Weighted(range(1, 5), (10, 20, 30, 40))
DIGESTS_PER_PAPER = _Weighted(range(1, 4), (85, 12, 3))
# Cross-listed categories: cs.LG and cs.AI take most, then the big application areas, then the long tail.
_CROSS_LIST = {"cs.LG": 45, "cs.AI": 25, "stat.ML": 9, "cs.CL": 8, "cs.CV": 8, "cs.RO": 2, "cs.IR": 1.5}
CROSS_LISTS = _Weighted(
    list(ARXIV_CATEGORY_NAMES), [_CROSS_LIST.get(code, 0.35) for code in ARXIV_CATEGORY_NAMES]
)


@dataclass(frozen=True)
class SourceProfile:
    """One digest family as the importer knows it (papers.ingest.families.SOURCES), and what its
    entries carry."""

    family: str
    share: float  # of papers' first digest
    sizes: tuple[int, int]  # entries per digest
    kinds: tuple[tuple[tuple[str, str], ...], ...]  # (language, kind) lists; an entry takes a prefix
    score: tuple[str, float] | None  # (kind, share of entries) of editorial scores
    english_abstract: bool  # whether its entries quote the English abstract


SOURCE_PROFILES = (
    SourceProfile(
        "arxiv_jp",
        0.30,
        (20, 50),
        ((("ja", "abstract"), ("ja", "title"), ("en", "summary"), ("ja", "summary")),),
        None,
        True,
    ),
    SourceProfile(
        "pytorchkr",
        0.20,
        (8, 15),
        (
            (("ko", "summary"), ("ko", "title"), ("en", "summary"), ("ko", "abstract")),
            (("ko", "title"), ("en", "summary"), ("ko", "summary"), ("en", "abstract")),
        ),
        None,
        True,
    ),
    SourceProfile(
        "zh_digest",
        0.30,
        (5, 30),
        (
            (("zh", "summary"), ("zh", "title"), ("zh", "analysis"), ("zh", "abstract")),
            (("zh", "title"), ("zh", "abstract"), ("zh", "method"), ("zh", "results")),
        ),
        ("reading_index", 0.85),
        False,
    ),
    SourceProfile(
        "ronbun_gaiyou",
        0.20,
        (5, 30),
        ((("ja", "summary"), ("ja", "title"), ("ja", "abstract"), ("ja", "contributions")),),
        ("reference_score", 0.8),
        True,
    ),
)


@dataclass
class DigestPlan:
    source: int  # index into SOURCE_PROFILES; source id = index + 1
    number: int  # 1, 2, … within its source
    issued: date
    entries: list[int]  # paper indexes in order
    id: int = 0


@dataclass
class Plan:
    """Every row's ids and relations. Papers are indexed 0…n-1 (id = index + 1) in date order."""

    papers: int
    seed: int
    published: list[date]
    arxiv_ids: list[str | None]
    # Topic and title of the papers without an arXiv id (identified by their title: kept distinct here);
    # the others' are drawn with their texts, chunk by chunk.
    fixed_titles: dict[int, tuple[Topic, str]]
    hidden: list[bool]
    category_codes: list[str]  # category id - 1 -> code
    category_counts: list[int]  # categories per paper
    author_names: list[str]  # author id - 1 -> name
    paper_authors: list[list[int]]  # author ids in order
    digests: list[DigestPlan]  # by id
    paper_entries: list[list[tuple[int, int, int]]]  # (entry id, digest id, position), by digest id
    # (entry id, language, kind, published?) per paper, in summary id order
    paper_summaries: list[list[tuple[int, str, str, bool]]]
    first_summary_id: list[int]
    link_kinds: list[tuple[str, ...]]  # the kinds of a paper's links ("paper", "code", "project")
    paper_scores: list[list[tuple[int, int, str, float]]]  # (source id, entry id, kind, value)
    related: list[tuple[int, int, int, int, float]]  # (paper id, related id, entry id, position, score)

    def chunks(self) -> range:
        return range(0, self.papers, CHUNK)

    @property
    def entry_count(self) -> int:
        return sum(len(digest.entries) for digest in self.digests)

    @property
    def summary_count(self) -> int:
        return self.first_summary_id[-1] - 1


def _dates(count: int, rng: random.Random) -> list[date]:
    years = range(FIRST_DAY.year, LAST_DAY.year + 1)
    spans = {year: (max(FIRST_DAY, date(year, 1, 1)), min(LAST_DAY, date(year, 12, 31))) for year in years}
    weights = [YEARLY_GROWTH**i * ((spans[y][1] - spans[y][0]).days + 1) / 365 for i, y in enumerate(years)]
    pick = _Weighted(years, weights)
    days = []
    for _ in range(count):
        start, end = spans[pick.draw(rng)]
        days.append(start + timedelta(days=rng.randrange((end - start).days + 1)))
    days.sort()
    return days


def _arxiv_ids(published: list[date], rng: random.Random) -> list[str | None]:
    """``YYMM.NNNNN``: distinct numbers within each month, rising with the date, as arXiv assigns them;
    about 2% of papers (workshop and journal papers) have none."""
    ids: list[str | None] = [None] * len(published)
    by_month: dict[tuple[int, int], list[int]] = {}
    for index, day in enumerate(published):
        if rng.random() >= 0.02:
            by_month.setdefault((day.year, day.month), []).append(index)
    for (year, month), indexes in by_month.items():
        # arXiv's monthly volume (all subjects) grows from ~13k in 2019; ML is a part of it.
        capacity = max(len(indexes) + 50, int(13000 * 1.1 ** (year - 2019)))
        if capacity > 99999:
            raise ValueError(f"too many papers in {year}-{month:02d} for five-digit arXiv numbers")
        numbers = sorted(rng.sample(range(1, capacity + 1), len(indexes)))
        for index, number in zip(indexes, numbers, strict=True):
            ids[index] = f"{year % 100:02d}{month:02d}.{number:05d}"
    return ids


def _titles_without_arxiv_id(arxiv_ids: list[str | None], rng: random.Random) -> dict[int, tuple[Topic, str]]:
    """Topic and title of each paper without an arXiv id, distinct (such papers are matched by title)."""
    indexes = [index for index, arxiv_id in enumerate(arxiv_ids) if arxiv_id is None]
    fixed: dict[int, tuple[Topic, str]] = {}
    seen: set[str] = set()
    for index, topic in zip(indexes, draw_topics(rng, len(indexes)), strict=True):
        title = write_title(rng, topic)
        while match_key(title) in seen:
            title = f"{title.rstrip('?')}: Evidence from {rng.choice(DATASETS)} ({rng.randint(2, 999)})"
        seen.add(match_key(title))
        fixed[index] = (topic, title)
    return fixed


CATEGORY_CODES = sorted(ARXIV_CATEGORY_NAMES)  # ids in code order, like an importer seeing them all at once
_CATEGORY_ID = {code: number for number, code in enumerate(CATEGORY_CODES, start=1)}


def _paper_categories(topic: Topic, count: int, rng: random.Random) -> list[int]:
    """The home category of the paper's task first, then cross-lists."""
    chosen = [TASK_CATEGORY[topic.task.en]]
    while len(chosen) < count:
        code = CROSS_LISTS.draw(rng)
        if code not in chosen:
            chosen.append(code)
    return [_CATEGORY_ID[code] for code in chosen]


def _authors(count: int, rng: random.Random) -> tuple[list[str], list[list[int]]]:
    """Lotka's law: each candidate author gets a Pareto-distributed productivity (capped), and author slots
    are filled in proportion to it. Only candidates who sign something become rows, numbered in order
    of their first paper."""
    candidates = max(20, int(count * 2.5))
    weights = [min(rng.paretovariate(1.7), 500.0) for _ in range(candidates)]
    pick = _Weighted(range(candidates), weights)
    wanted = AUTHORS_PER_PAPER.draws(rng, count)
    slots = pick.draws(rng, sum(wanted))
    number: dict[int, int] = {}
    per_paper = []
    start = 0
    for size in wanted:
        chosen = slots[start : start + size]
        start += size
        if len(set(chosen)) < size:  # the same person twice on one paper: draw again
            chosen = list(dict.fromkeys(chosen))
            while len(chosen) < size:
                candidate = pick.draw(rng)
                if candidate not in chosen:
                    chosen.append(candidate)
        per_paper.append([number.setdefault(candidate, len(number) + 1) for candidate in chosen])
    return author_names(len(number), rng), per_paper


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` as ``parts`` positive integers."""
    sizes = [1] * parts
    for _ in range(total - parts):
        sizes[rng.randrange(parts)] += 1
    return sizes


def _digests(
    entries_by_source: list[list[int]], published: list[date], rng: random.Random
) -> list[DigestPlan]:
    """Each source's entries in date order, cut into digests of its usual size (5–50 entries)."""
    digests = []
    for source, papers in enumerate(entries_by_source):
        low, high = SOURCE_PROFILES[source].sizes
        papers.sort()  # paper indexes are in date order
        start, number = 0, 0
        while start < len(papers):
            rest = len(papers) - start
            size = rng.randint(low, high)
            if rest <= high:
                size = rest
            elif rest - size < low:  # no tiny last digest: share the rest between two
                size = rest // 2
            chunk = papers[start : start + size]
            rng.shuffle(chunk)  # a digest's order is its editor's, not the papers' dates
            number += 1
            issued = published[max(chunk)] + timedelta(days=rng.randint(1, 6))
            digests.append(DigestPlan(source, number, issued, chunk))
            start += size
    digests.sort(key=lambda d: (d.issued, d.source, d.number))  # imported in the order they came out
    for digest_id, digest in enumerate(digests, start=1):
        digest.id = digest_id
    return digests


def make_plan(papers: int, seed: int) -> Plan:
    """Decide every row but the long texts. Deterministic for ``(papers, seed)``."""
    if papers < 1:
        raise ValueError("the corpus needs at least one paper")
    rng = random.Random(f"corpus-plan/{seed}")
    published = _dates(papers, rng)
    arxiv_ids = _arxiv_ids(published, rng)
    fixed_titles = _titles_without_arxiv_id(arxiv_ids, rng)
    hidden = [rng.random() < 0.005 for _ in range(papers)]
    category_counts = CATEGORIES_PER_PAPER.draws(rng, papers)
    author_names_, paper_authors = _authors(papers, rng)

    # Which sources list each paper (distinct: a paper is in a digest once), and how many summaries each
    # of its entries brings (1–4 per paper in all).
    first_source = _Weighted(range(len(SOURCE_PROFILES)), [p.share for p in SOURCE_PROFILES])
    paper_sources: list[list[tuple[int, int, int]]] = []  # (source, summaries, kind list) per entry
    entries_by_source: list[list[int]] = [[] for _ in SOURCE_PROFILES]
    for index in range(papers):
        summaries = SUMMARIES_PER_PAPER.draw(rng)
        count = min(DIGESTS_PER_PAPER.draw(rng), summaries)
        sources: list[int] = []
        while len(sources) < count:
            source = first_source.draw(rng)
            if source not in sources:
                sources.append(source)
        sizes = _split(summaries, count, rng)
        paper_sources.append(
            [
                (s, n, rng.randrange(len(SOURCE_PROFILES[s].kinds)))
                for s, n in zip(sources, sizes, strict=True)
            ]
        )
        for source in sources:
            entries_by_source[source].append(index)
    digests = _digests(entries_by_source, published, rng)

    # (paper, source) -> (entry id, digest id, position)
    entry_of: dict[tuple[int, int], tuple[int, int, int]] = {}
    entry_id = 0
    for digest in digests:
        for position, paper in enumerate(digest.entries, start=1):
            entry_id += 1
            entry_of[paper, digest.source] = (entry_id, digest.id, position)

    paper_entries, paper_summaries, paper_scores = [], [], []
    first_summary_id = [1]
    related: list[tuple[int, int, int, int, float]] = []
    for index in range(papers):
        by_digest = sorted(
            (entry_of[index, source], source, count, variant)
            for source, count, variant in paper_sources[index]
        )
        paper_entries.append([entry for entry, *_ in by_digest])
        summaries, scores = [], []
        for (entry_id, _digest_id, _position), source, count, variant in by_digest:
            profile = SOURCE_PROFILES[source]
            for language, kind in profile.kinds[variant][:count]:
                summaries.append((entry_id, language, kind, rng.random() >= 0.003))
            if profile.score and rng.random() < profile.score[1]:
                kind = profile.score[0]
                value = (
                    rng.choice((2.0, 2.5, 3.0, 3.0, 3.5, 3.5, 4.0, 4.0, 4.5, 5.0))
                    if kind == "reading_index"
                    else float(rng.randint(35, 100))
                )
                scores.append((source + 1, entry_id, kind, value))
            if profile.family == "ronbun_gaiyou" and index > 0 and rng.random() < 0.3:
                picks = {index - rng.randint(1, min(index, 5000)) for _ in range(rng.randint(1, 3))}
                for position, other in enumerate(sorted(picks), start=1):
                    related.append(
                        (index + 1, other + 1, entry_id, position, round(rng.uniform(0.5, 0.99), 3))
                    )
        paper_summaries.append(summaries)
        first_summary_id.append(first_summary_id[-1] + len(summaries))
        paper_scores.append(scores)
    return Plan(
        papers=papers,
        seed=seed,
        published=published,
        arxiv_ids=arxiv_ids,
        fixed_titles=fixed_titles,
        hidden=hidden,
        category_codes=CATEGORY_CODES,
        category_counts=category_counts,
        author_names=author_names_,
        paper_authors=paper_authors,
        digests=digests,
        paper_entries=paper_entries,
        paper_summaries=paper_summaries,
        first_summary_id=first_summary_id,
        link_kinds=[_link_kinds(arxiv_id, rng) for arxiv_id in arxiv_ids],
        paper_scores=paper_scores,
        related=related,
    )


def _link_kinds(arxiv_id: str | None, rng: random.Random) -> tuple[str, ...]:
    """An arXiv link on most papers that have an id, code on ~30%, a project page on some."""
    kinds = ("paper",) if arxiv_id and rng.random() < 0.6 else ()
    if rng.random() < 0.3:
        kinds += ("code",)
    if rng.random() < 0.05:
        kinds += ("project",)
    return kinds


def _link_url(kind: str, arxiv_id: str | None, topic: Topic, first_author: str, rng: random.Random) -> str:
    if kind == "paper":
        return f"https://arxiv.org/abs/{arxiv_id}"
    if kind == "code":
        suffix = rng.choice(("", "-lab", "-group", "ai", str(rng.randint(1, 99))))
        return f"https://github.com/{first_author.split()[-1].lower()}{suffix}/{topic.name.lower()}"
    return f"https://{topic.name.lower()}.github.io/"


@dataclass(frozen=True)
class PaperContent:
    topic: Topic
    title: str
    category_ids: list[int]
    links: list[tuple[str, str]]  # (kind, url)


def chunk_contents(plan: Plan, chunk: int) -> tuple[random.Random, list[PaperContent]]:
    """What a chunk's papers are about (drawn here, in parallel workers, rather than in the plan) and the
    chunk's random stream, which then writes their texts."""
    start, stop = chunk * CHUNK, min((chunk + 1) * CHUNK, plan.papers)
    rng = random.Random(f"corpus-text/{plan.seed}/{chunk}")
    contents = []
    for index, topic in zip(range(start, stop), draw_topics(rng, stop - start), strict=True):
        if index in plan.fixed_titles:
            topic, title = plan.fixed_titles[index]
        else:
            title = write_title(rng, topic)
        first_author = plan.author_names[plan.paper_authors[index][0] - 1]
        links = [
            (kind, _link_url(kind, plan.arxiv_ids[index], topic, first_author, rng))
            for kind in plan.link_kinds[index]
        ]
        contents.append(
            PaperContent(topic, title, _paper_categories(topic, plan.category_counts[index], rng), links)
        )
    return rng, contents


# --------------------------------------------------------------------------------------------------------
# Writing: COPY, and each paper's derived columns computed on the way in


def imported_at(issued: date) -> datetime:
    """When a digest was imported: the morning after it came out (UTC); its papers were created then."""
    return datetime.combine(issued + timedelta(days=1), time(6, 0), tzinfo=UTC)


# Lines of digest text per entry, by source: where an entry's first line falls in its digest.
LINES_PER_ENTRY = (9, 14, 22, 30)


@dataclass(frozen=True)
class ChunkOffsets:
    """The first id of each table's rows in a chunk of papers (rows are numbered in paper order)."""

    authorship: int
    category: int
    link: int
    score: int


def chunk_offsets(plan: Plan) -> list[ChunkOffsets]:
    offsets, counts = [], [1, 1, 1, 1]
    for start in plan.chunks():
        offsets.append(ChunkOffsets(*counts))
        stop = min(start + CHUNK, plan.papers)
        counts[0] += sum(map(len, plan.paper_authors[start:stop]))
        counts[1] += sum(plan.category_counts[start:stop])
        counts[2] += sum(map(len, plan.link_kinds[start:stop]))
        counts[3] += sum(map(len, plan.paper_scores[start:stop]))
    return offsets


# Staging rows for papers: the row plus the inputs of the derived columns, turned into the columns by the
# same SQL expressions papers.search.index._UPDATE uses.
_STAGING_COLUMNS = (
    "id bigint, title text, title_key text, arxiv_id text, slug text, published date, abstract text, "
    "visibility text, created_at timestamptz, a text, b text, c text, d text, languages text, "
    "digest_count int, has_code bool, score float8, category_ids text, author_ids text, source_ids text, "
    "digest_ids text"
)
_INSERT_PAPERS = """
INSERT INTO papers_paper (
    id, title, title_key, arxiv_id, slug, published, abstract, visibility, created_at, updated_at,
    search_vector, languages, digest_count, has_code, editorial_score, category_ids, author_ids, source_ids,
    digest_ids
)
SELECT
    d.id, d.title, d.title_key, d.arxiv_id, d.slug, d.published, d.abstract, d.visibility, d.created_at,
    d.created_at,
    setweight(to_tsvector('english', d.a), 'A')
        || setweight(to_tsvector('english', d.b), 'B')
        || setweight(to_tsvector('english', d.c), 'C')
        || setweight(to_tsvector('english', d.d), 'D'),
    string_to_array(d.languages, ',')::varchar(10)[],
    d.digest_count,
    d.has_code,
    d.score,
    string_to_array(d.category_ids, ',')::bigint[],
    string_to_array(d.author_ids, ',')::bigint[],
    string_to_array(d.source_ids, ',')::bigint[],
    string_to_array(d.digest_ids, ',')::bigint[]
FROM corpus_staging AS d
"""


@dataclass
class Lookups:
    """What every chunk needs besides the plan."""

    category_rank: dict[int, int]  # category id -> place in the database's ORDER BY code
    digest_source: list[int]  # digest id - 1 -> source id
    digest_time: list[datetime]  # digest id - 1 -> imported_at


def write_chunk(cursor, plan: Plan, lookups: Lookups, chunk: int, offsets: ChunkOffsets) -> int:
    """Write the papers of one chunk with their authorships, categories, summaries, links and scores.
    Returns the number of summaries written."""
    start = chunk * CHUNK
    rng, contents = chunk_contents(plan, chunk)
    staging, entry_rows, summaries, authorships, categories, links, scores = [], [], [], [], [], [], []
    authorship_id, category_id, link_id, score_id = (
        offsets.authorship,
        offsets.category,
        offsets.link,
        offsets.score,
    )
    for index, content in enumerate(contents, start=start):
        paper_id = index + 1
        topic, title, arxiv_id = content.topic, content.title, plan.arxiv_ids[index]
        entries = plan.paper_entries[index]
        quoted = any(
            SOURCE_PROFILES[lookups.digest_source[digest_id - 1] - 1].english_abstract
            for _, digest_id, _ in entries
        )
        abstract = write_text(rng, topic, "en", "abstract") if quoted and rng.random() < 0.95 else ""
        created = lookups.digest_time[entries[0][1] - 1]
        for entry_id, digest_id, position in entries:
            line = 1 + (position - 1) * LINES_PER_ENTRY[lookups.digest_source[digest_id - 1] - 1]
            entry_rows.append((entry_id, digest_id, paper_id, position, line))
        documents: dict[str, list[str]] = {"a": [title, arxiv_id or ""], "b": [], "c": [], "d": []}
        languages: set[str] = set()
        summary_id = plan.first_summary_id[index]
        for entry_id, language, kind, published in plan.paper_summaries[index]:
            text = write_text(rng, topic, language, kind)
            visibility = "published" if published else "hidden"
            summaries.append(
                (summary_id, paper_id, entry_id, language, kind, text, visibility, False, created, created)
            )
            summary_id += 1
            if published:
                documents[_WEIGHT_BY_KIND.get(kind, "d")].append(text)
                languages.add(language)
        author_ids = plan.paper_authors[index]
        for position, author_id in enumerate(author_ids, start=1):
            authorships.append((authorship_id, paper_id, author_id, position))
            authorship_id += 1
            documents["b"].append(plan.author_names[author_id - 1])
        category_ids = content.category_ids
        for category in category_ids:
            categories.append((category_id, paper_id, category))
            category_id += 1
        for category in sorted(category_ids, key=lookups.category_rank.__getitem__):
            documents["b"].append(plan.category_codes[category - 1])
        has_code = False
        for kind, url in content.links:  # brought by the paper's first digest entry
            links.append((link_id, paper_id, entries[0][0], kind, url))
            link_id += 1
            has_code = has_code or kind == "code"
        best: float | None = None
        for source_id, entry_id, kind, value in plan.paper_scores[index]:
            scores.append((score_id, paper_id, source_id, entry_id, kind, value))
            score_id += 1
            if kind in SCORE_SCALES:  # as papers.search.index.refresh_papers scales them
                best = max(0.0 if best is None else best, min(value / SCORE_SCALES[kind], 1.0))
        digest_ids = sorted({digest_id for _, digest_id, _ in entries})
        source_ids = sorted({lookups.digest_source[digest_id - 1] for digest_id in digest_ids})
        staging.append(
            (
                paper_id,
                title,
                match_key(title),
                arxiv_id,
                paper_slug(title, arxiv_id),
                plan.published[index],
                abstract,
                "hidden" if plan.hidden[index] else "published",
                created,
                *documents_text(documents),
                ",".join(sorted(languages)),
                len(entries),
                has_code,
                best,
                ",".join(map(str, sorted(set(category_ids)))),
                ",".join(map(str, sorted(set(author_ids)))),
                ",".join(map(str, source_ids)),
                ",".join(map(str, digest_ids)),
            )
        )
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS corpus_staging ({_STAGING_COLUMNS})")
    cursor.execute("TRUNCATE corpus_staging")
    _copy(cursor, "corpus_staging", None, staging)
    cursor.execute(_INSERT_PAPERS)
    _copy(cursor, "papers_digestentry", ("id", "digest_id", "paper_id", "position", "line"), entry_rows)
    _copy(cursor, "papers_authorship", ("id", "paper_id", "author_id", "position"), authorships)
    _copy(cursor, "papers_paper_categories", ("id", "paper_id", "category_id"), categories)
    _copy(cursor, "papers_summary", SUMMARY_COLUMNS, summaries)
    _copy(cursor, "papers_paperlink", ("id", "paper_id", "entry_id", "kind", "url"), links)
    _copy(cursor, "papers_score", ("id", "paper_id", "source_id", "entry_id", "kind", "value"), scores)
    return len(summaries)


def documents_text(documents: dict[str, list[str]]) -> list[str]:
    """The four weighted documents as refresh_papers hands them to to_tsvector."""
    return [index_text("\n".join(part for part in documents[key] if part)) for key in "abcd"]


SUMMARY_COLUMNS = (
    "id",
    "paper_id",
    "entry_id",
    "language",
    "kind",
    "text",
    "visibility",
    "edited_by_editor",
    "created_at",
    "updated_at",
)


def _copy(cursor, table: str, columns: tuple[str, ...] | None, rows) -> None:
    names = f" ({', '.join(columns)})" if columns else ""
    with cursor.copy(f"COPY {table}{names} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --------------------------------------------------------------------------------------------------------
# The whole run


class CorpusError(Exception):
    """A corpus that cannot be generated here; the message says why and what to do."""


@dataclass
class Report:
    papers: int
    workers: int
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds), in order
    counts: dict[str, int] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str):
        started = monotonic()
        yield
        self.phases.append((name, monotonic() - started))


def catalogue_tables() -> list[str]:
    """Every table of the catalogue (and its edit history), but not upload jobs: what --replace empties."""
    keep = {ImportJob, ImportJobFile}
    return [
        model._meta.db_table
        for model in apps.get_app_config("papers").get_models(include_auto_created=True)
        if model not in keep
    ]


def empty_catalogue() -> None:
    """TRUNCATE the catalogue. Sources and digests are deleted instead: upload jobs' files keep a
    reference to their digest (set to NULL here, as deleting a digest in the admin does), and
    PostgreSQL refuses to TRUNCATE a table that another table's foreign key points at."""
    referenced = {Source._meta.db_table, Digest._meta.db_table}
    tables = [table for table in catalogue_tables() if table not in referenced]
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # TRUNCATE refuses tables with foreign-key checks still pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        cursor.execute(
            f"UPDATE {ImportJobFile._meta.db_table} SET digest_id = NULL WHERE digest_id IS NOT NULL"
        )
        for table in (Digest._meta.db_table, Source._meta.db_table):
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)", [table])


def catalogue_summary() -> str:
    return ", ".join(
        f"{model.objects.count()} {model._meta.verbose_name_plural}"
        for model in CATALOGUE_MODELS
        if model.objects.exists()
    )


def make_lookups(plan: Plan) -> Lookups:
    with connection.cursor() as cursor:
        # The order refresh_papers lists a paper's categories in: ORDER BY code, in the database's collation.
        cursor.execute("SELECT code FROM unnest(%s::text[]) AS code ORDER BY code", [plan.category_codes])
        rank = {code: place for place, (code,) in enumerate(cursor.fetchall())}
    return Lookups(
        category_rank={number: rank[code] for number, code in enumerate(plan.category_codes, start=1)},
        digest_source=[digest.source + 1 for digest in plan.digests],
        digest_time=[imported_at(digest.issued) for digest in plan.digests],
    )


def _write_parents(plan: Plan, lookups: Lookups) -> None:
    """Sources, categories, authors and digests: the rows every chunk of papers refers to."""
    digest_time = lookups.digest_time
    summaries_per_digest = [0] * len(plan.digests)
    created_per_digest = [0] * len(plan.digests)
    author_created: list[datetime | None] = [None] * len(plan.author_names)
    for index in range(plan.papers):
        entries = plan.paper_entries[index]
        created_per_digest[entries[0][1] - 1] += 1
        digest_of_entry = {entry_id: digest_id for entry_id, digest_id, _ in entries}
        for entry_id, *_ in plan.paper_summaries[index]:
            summaries_per_digest[digest_of_entry[entry_id] - 1] += 1
        for author_id in plan.paper_authors[index]:
            if author_created[author_id - 1] is None:
                author_created[author_id - 1] = digest_time[entries[0][1] - 1]
    with connection.cursor() as cursor:
        _copy(
            cursor,
            "papers_source",
            ("id", "slug", "name", "url", "language"),
            (
                (number, info.slug, info.name, info.url, info.language)
                for number, info in enumerate((SOURCES[p.family] for p in SOURCE_PROFILES), start=1)
            ),
        )
        _copy(
            cursor,
            "papers_category",
            ("id", "code", "name"),
            (
                (number, code, ARXIV_CATEGORY_NAMES.get(code, ""))
                for number, code in enumerate(plan.category_codes, start=1)
            ),
        )
        _copy(
            cursor,
            "papers_author",
            ("id", "name", "name_key", "created_at"),
            (
                (number, name, match_key(name), created)
                for number, (name, created) in enumerate(
                    zip(plan.author_names, author_created, strict=True), 1
                )
            ),
        )
        _copy(
            cursor,
            "papers_digest",
            DIGEST_COLUMNS,
            _digest_rows(plan, summaries_per_digest, created_per_digest),
        )


DIGEST_COLUMNS = (
    "id",
    "source_id",
    "name",
    "title",
    "url",
    "checksum",
    "encoding",
    "issued",
    "status",
    "papers_created",
    "papers_updated",
    "papers_unchanged",
    "summaries_count",
    "warnings",
    "error",
    "imported_by_id",
    "imported_at",
    "created_at",
    "updated_at",
)
# How each family titles its posts (arxiv.jp and some PyTorchKR posts have no title of their own).
DIGEST_TITLES = (
    "",
    "[{issued:%Y/%m/%d}] 今週の主要ML論文 (Top ML Papers of the Week)",
    "每周论文精选 第{number}期（{issued:%Y-%m-%d}）",
    "論文の概要 {issued:%Y年%m月%d日}",
)


def _digest_rows(plan: Plan, summaries_per_digest: list[int], created_per_digest: list[int]):
    for digest in plan.digests:
        source = SOURCES[SOURCE_PROFILES[digest.source].family]
        when = imported_at(digest.issued)
        size = len(digest.entries)
        url = (
            f"https://discuss.pytorch.kr/t/top-ml-papers-{digest.issued:%Y-%m-%d}/{3000 + digest.number}"
            if source.slug.startswith("pytorchkr")
            else ""
        )
        created = created_per_digest[digest.id - 1]
        yield (
            digest.id,
            digest.source + 1,
            f"{source.slug}-{digest.issued:%Y-%m-%d}-{digest.number:05d}.txt",
            DIGEST_TITLES[digest.source].format(issued=digest.issued, number=digest.number),
            url,
            hashlib.sha256(f"corpus/{plan.seed}/{digest.id}".encode()).hexdigest(),
            "utf-8",
            digest.issued,
            "imported",
            created,
            size - created,  # a paper seen before is "updated": this digest lists it and adds summaries
            0,
            summaries_per_digest[digest.id - 1],
            "[]",
            "",
            None,
            when,
            when,
            when,
        )


def _write_related(plan: Plan) -> None:
    with connection.cursor() as cursor:
        _copy(
            cursor,
            "papers_relatedpaper",
            ("id", "paper_id", "related_id", "entry_id", "position", "score"),
            ((number, *row) for number, row in enumerate(plan.related, start=1)),
        )


def _reset_sequences(tables: list[str]) -> None:
    """Rows were written with explicit ids: the next row the application adds takes the next id."""
    with connection.cursor() as cursor:
        for table in tables:
            next_id = f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})"
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {next_id}, false)", [table])


def can_skip_triggers() -> bool:
    """Whether this connection may set session_replication_role (superusers, or PostgreSQL 15+ roles
    granted SET on it). Then a bulk load skips foreign-key triggers: the rows are consistent by
    construction, and checking ~25 references per paper one by one would double the load time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        return bool(cursor.fetchone()[0])


def _bulk_session(cursor, skip_triggers: bool) -> None:
    """Session settings of a bulk-loading connection (a crash means a re-run with --replace anyway)."""
    cursor.execute("SET synchronous_commit = off")
    if skip_triggers:
        cursor.execute("SET session_replication_role = replica")


def _end_bulk_session(cursor) -> None:
    cursor.execute("RESET synchronous_commit")
    cursor.execute("RESET session_replication_role")


# What forked chunk workers inherit: (plan, lookups, offsets, skip_triggers).
_SHARED: tuple[Plan, Lookups, list[ChunkOffsets], bool] | None = None


def _chunk_in_worker(chunk: int) -> int:
    plan, lookups, offsets, skip_triggers = _SHARED
    with transaction.atomic(), connection.cursor() as cursor:
        _bulk_session(cursor, skip_triggers)
        write_chunk(cursor, plan, lookups, chunk, offsets[chunk])
    return min(CHUNK, plan.papers - chunk * CHUNK)


def _in_thread(work, *args) -> threading.Thread:
    """Run database work beside the main thread, on the thread's own connection (closed at the end)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work(*args)
        except BaseException as error:  # handed to the main thread by join()
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _join(thread: threading.Thread) -> None:
    thread.join()
    if thread.errors:  # type: ignore[attr-defined]
        raise thread.errors[0]  # type: ignore[attr-defined]


def _write_papers(
    plan: Plan, lookups: Lookups, workers: int, skip_triggers: bool, progress: bool, beside=None
) -> None:
    """Write every chunk of papers; ``beside`` (a function of no arguments) runs on its own connection
    meanwhile, where the chunks do not depend on its rows."""
    global _SHARED
    offsets = chunk_offsets(plan)
    chunks = range(len(offsets))

    def progress_bar() -> tqdm:  # made after any fork: tqdm starts a monitor thread
        return tqdm(total=plan.papers, unit="papers", disable=not progress, desc="papers", smoothing=0.05)

    if workers == 1:
        if beside:
            beside()
        with connection.cursor() as cursor, progress_bar() as bar:
            bulk = not connection.in_atomic_block
            if bulk:
                _bulk_session(cursor, skip_triggers)
            for chunk in chunks:
                with transaction.atomic():
                    write_chunk(cursor, plan, lookups, chunk, offsets[chunk])
                bar.update(min(CHUNK, plan.papers - chunk * CHUNK))
            if bulk:
                _end_bulk_session(cursor)
        return
    # Each worker process writes whole chunks through its own connection; the plan reaches it by fork
    # (not pickled), and the parent's connection is closed first so that none is shared.
    _SHARED = (plan, lookups, offsets, skip_triggers)
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool, progress_bar() as bar:
            results = pool.imap_unordered(_chunk_in_worker, chunks)
            thread = _in_thread(beside) if beside else None
            for papers in results:
                bar.update(papers)
            if thread:
                _join(thread)
    finally:
        _SHARED = None


def _bulk_write(skip_triggers: bool, *writers) -> None:
    with connection.cursor() as cursor:
        _bulk_session(cursor, skip_triggers)
    try:
        for write in writers:
            write()
    finally:
        with connection.cursor() as cursor:
            _end_bulk_session(cursor)


# A note on indexes: they stay in place during the load. Dropping the search vector's GIN index and
# building it afterwards was measured slower here: the build is mostly serial (a second worker did not
# help) and grows faster than the rows (100k papers 16-18 s, 300k 86 s), while keeping it costs ~0.3 ms
# per paper inside the parallel chunk writers, and this VACUUM merges its pending list. The B-tree
# indexes are cheap to keep (ids arrive in order).
def _vacuum(tables: list[str], in_transaction: bool) -> None:
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"{'ANALYZE' if in_transaction else 'VACUUM (ANALYZE)'} {', '.join(tables)}")


def generate_corpus(
    papers: int, seed: int, *, replace: bool = False, workers: int | None = None, progress: bool = False
) -> Report:
    """Fill an empty catalogue (or, with ``replace``, the emptied one) with ``papers`` papers."""
    if papers < 1:
        raise CorpusError(f"--papers must be at least 1 (got {papers})")
    in_transaction = connection.in_atomic_block
    workers = workers or (1 if in_transaction else min(2, os.cpu_count() or 1))
    if workers > 1 and in_transaction:
        raise CorpusError("parallel workers write through their own connections: run outside a transaction")
    report = Report(papers=papers, workers=workers)
    with report.phase("check / empty catalogue"):
        if not catalogue_is_empty():
            if not replace:
                raise CorpusError(
                    f"The catalogue is not empty ({catalogue_summary()}). generate_corpus only writes "
                    "into an empty catalogue; pass --replace to delete the catalogue first (upload jobs, "
                    "users and the admin log are kept)."
                )
            empty_catalogue()
    with report.phase("plan"):
        plan = make_plan(papers, seed)
        lookups = make_lookups(plan)
    tables = catalogue_tables()
    # Inside a transaction (tests) foreign keys stay checked, at commit or SET CONSTRAINTS ALL IMMEDIATE.
    # Without their triggers, rows may go in in any order: the parent rows are written beside the papers.
    skip_triggers = not in_transaction and can_skip_triggers()
    parents = functools.partial(_write_parents, plan, lookups)
    related = functools.partial(_write_related, plan)
    try:
        if in_transaction:
            with report.phase("sources, categories, authors, digests"):
                parents()
            with report.phase("papers, entries, summaries, …"):
                _write_papers(plan, lookups, workers, skip_triggers, progress)
            with report.phase("related papers"):
                related()
        elif skip_triggers:
            with report.phase("papers, entries, summaries, … (+ authors, digests beside)"):
                _write_papers(
                    plan,
                    lookups,
                    workers,
                    skip_triggers,
                    progress,
                    beside=functools.partial(_bulk_write, skip_triggers, parents, related),
                )
        else:  # foreign keys checked at each commit: parents first, papers, then what refers to papers
            with report.phase("sources, categories, authors, digests"):
                _bulk_write(skip_triggers, parents)
            with report.phase("papers, entries, summaries, …"):
                _write_papers(plan, lookups, workers, skip_triggers, progress)
            with report.phase("related papers"):
                _bulk_write(skip_triggers, related)
        with report.phase("sequences"):
            _reset_sequences(tables)
        with report.phase("analyze" if in_transaction else "vacuum analyze"):
            if in_transaction:
                _vacuum(tables, in_transaction)
            else:  # the papers (with the GIN index's pending list) beside the other tables
                thread = _in_thread(_vacuum, [Paper._meta.db_table], in_transaction)
                _vacuum([table for table in tables if table != Paper._meta.db_table], in_transaction)
                _join(thread)
    except Exception as error:
        raise CorpusError(
            f"generation failed midway: {error}. The catalogue is partly written; run the command again "
            "with --replace to start over."
        ) from error
    record_catalogue_change()
    report.counts = {
        "papers": plan.papers,
        "summaries": plan.summary_count,
        "authors": len(plan.author_names),
        "authorships": sum(map(len, plan.paper_authors)),
        "categories": len(plan.category_codes),
        "paper categories": sum(plan.category_counts),
        "digests": len(plan.digests),
        "entries": plan.entry_count,
        "links": sum(map(len, plan.link_kinds)),
        "scores": sum(map(len, plan.paper_scores)),
        "related papers": len(plan.related),
    }
    return report
