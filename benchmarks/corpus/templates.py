"""Sentence and title templates of the synthetic corpus, one set per language, and the sections each
summary kind is written from."""

# Slots: F main topic, S1–S3 side concepts, T task, P property, D1–D3 data sets, N the method's name,
# X a percentage, Y a speed-up. Korean slots take a particle suffix (see texts._ko_forms).

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
